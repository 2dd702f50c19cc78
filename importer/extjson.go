package importer

import "encoding/json"

// extendedJSONValue is the plain value of a MongoDB extended JSON wrapper,
// as mongoexport writes ObjectIds, dates and 64-bit numbers:
// {"$oid": "5f..."} is "5f...", {"$date": "2020-01-02T03:04:05Z"} its
// date-time, {"$date": {"$numberLong": "1577934245000"}} the milliseconds,
// {"$numberLong": "42"} the number. A field that needs text reads it so
// (toText); ok is false for any other object.
func extendedJSONValue(m map[string]any) (v any, ok bool) {
	if len(m) != 1 {
		return nil, false
	}
	for k, x := range m {
		switch k {
		case "$oid", "$symbol", "$uuid":
			s, ok := x.(string)
			return s, ok
		case "$numberLong", "$numberInt", "$numberDouble", "$numberDecimal":
			switch t := x.(type) {
			case string:
				return json.Number(t), true
			case json.Number:
				return t, true
			}
		case "$date":
			switch t := x.(type) {
			case string, json.Number:
				return t, true
			case map[string]any:
				return extendedJSONValue(t)
			}
		}
	}
	return nil, false
}
