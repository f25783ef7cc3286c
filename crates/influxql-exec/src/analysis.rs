//! Predictors (`holt_winters`, `holt_winters_with_fit`) and the technical
//! analysis functions of InfluxQL.
