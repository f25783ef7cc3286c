// sample covariance: sum of (x - mean x)(y - mean y) / (n - 1)
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/covariance/
import "array"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,_value
,,0,3.8333333333333335
"

array.from(rows: [{x: 1.0, y: 2.0}, {x: 2.0, y: 4.0}, {x: 3.0, y: 6.0}, {x: 4.0, y: 9.0}])
    |> covariance(columns: ["x", "y"])
