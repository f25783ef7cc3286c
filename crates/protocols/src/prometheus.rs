//! Prometheus remote read/write (in progress).
