// a perfect linear relation has a Pearson r of 1
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/covariance/
import "array"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,_value
,,0,1
"

array.from(rows: [{x: 1.0, y: 3.0}, {x: 2.0, y: 5.0}, {x: 3.0, y: 7.0}])
    |> covariance(columns: ["x", "y"], pearsonr: true)
