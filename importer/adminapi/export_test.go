package adminapi

// OperationsForTest returns every GraphQL document the client sends, for
// validation against the schema.
func OperationsForTest() map[string]string {
	batch, _ := lookupQuery([]LoginIDLookup{{"email", "a@b.c"}, {"phone", "+85298763116"}})
	return map[string]string{
		"userByLoginID": userByLoginID_Operation,
		"userNodes":     userNodes_Operation,
		"listRoles":     listRoles_Operation,
		"listGroups":    listGroups_Operation,
		"createRole":    createRole_Operation,
		"createGroup":   createGroup_Operation,
		"deleteUser":    deleteUser_Operation,
		"lookup batch":  batch,
	}
}
