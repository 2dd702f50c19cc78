package importer

// CompileJoined is Compile for an export read with joined values (a
// password export): columns and joins are the Source's Columns and Joins,
// kept by a front end that validates samples after the file is closed.
func CompileJoined(m *Mapping, columns []string, isCSV bool, joins []string) (*Plan, error) {
	return compile(m, columns, isCSV, joins)
}
