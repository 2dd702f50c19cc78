package sandbox

import "testing"

// CustomAttributes "*" configures every name: the values are stored as
// sent and read back by GraphQL's customAttributes; without it, only the
// configured names are kept (real-server/m02 #12).
func TestCustomAttributesAnyName(t *testing.T) {
	for _, tc := range []struct {
		configured []string
		want       string
	}{
		{[]string{"*"}, `{"member_id":"M-1","score":7}`},
		{[]string{"member_id"}, `{"member_id":"M-1"}`},
		{nil, `{}`},
	} {
		s, hs := newTestServer(t, Options{CustomAttributes: tc.configured})
		importAndWait(t, s, hs, `{"identifier":"email","records":[{"email":"c@example.com","custom_attributes":{"member_id":"M-1","score":7}}]}`)
		u, _ := s.UserByLoginID("email", "c@example.com")
		m, _ := gql(t, hs, hs.URL, `query($id:ID!){ node(id:$id){ ... on User { customAttributes } } }`, map[string]any{"id": globalID("User", u.ID)})
		if got := m["data"].(map[string]any)["node"].(map[string]any)["customAttributes"]; !jsonEqual(got, tc.want) {
			t.Errorf("%v: customAttributes = %v, want %s", tc.configured, got, tc.want)
		}
	}
}
