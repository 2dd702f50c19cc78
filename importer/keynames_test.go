package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// keyExport writes an export whose roles are Japanese names the key
// transform turns into the same key, and a mapping with transforms.
func keyExport(t *testing.T, transforms string) (dir, input, mp string, m *Mapping) {
	t.Helper()
	dir = t.TempDir()
	input = filepath.Join(dir, "u.csv")
	os.WriteFile(input, []byte("email,roles\na@example.com,管理者\nb@example.com,編集者\nc@example.com,編集者;beta-testers\nd@example.com,管理者\n"), 0o600)
	mp = filepath.Join(dir, "u.mapping.yaml")
	os.WriteFile(mp, []byte("version: 1\nidentifier: email\nfields:\n  email: {from: email}\n  roles: {from: roles, transforms: "+transforms+"}\n"), 0o600)
	m, err := ReadMappingFile(mp)
	if err != nil {
		t.Fatal(err)
	}
	return dir, input, mp, m
}

// TestKeyTransformNeverMerges (issue 17 item 8): "管理者" and "編集者" both
// give "___". The dry run ends with an error naming both (today it
// reports every record valid and both names become the one role "___"),
// a live run is refused before anything is sent, and the transform's
// table keeps them apart.
func TestKeyTransformNeverMerges(t *testing.T) {
	dir, input, mp, m := keyExport(t, `[{split: ";"}, key]`)
	s, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: mp, Input: input, DryRun: true, Report: filepath.Join(dir, "r.csv")})
	var ce *KeyCollisionError
	if !errors.As(err, &ce) || len(ce.Collisions) != 1 {
		t.Fatalf("dry run: %v, needs %+v", err, s.Needs)
	}
	c := ce.Collisions[0]
	if c.Key != "___" || strings.Join(c.Names, ",") != "管理者,編集者" || c.Field != "role names" {
		t.Fatalf("collision %+v", c)
	}
	for _, want := range []string{`"管理者" and "編集者"`, `"___"`, `key: "管理者=KEY1,編集者=KEY2"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if s.Needs == nil || len(s.Needs.Collisions) != 1 || s.Valid != 4 {
		t.Fatalf("summary %+v needs %+v", s.PrepareStats, s.Needs)
	}

	// A live run (a rehearsal, no Prepare) sends nothing.
	e := startLive(t, sandbox.Options{Roles: []string{"*"}})
	_, err = Run(context.Background(), RunConfig{Mapping: m, MappingPath: mp, Input: input, Report: filepath.Join(dir, "live.csv"),
		Target: &Destination{API: e.api, ID: "sandbox test", Rehearsal: true}, Import: e.fastOptions(false)})
	if !errors.As(err, &ce) || e.sb.Stats().RecordsReceived != 0 {
		t.Fatalf("live run: %v, %d records sent", err, e.sb.Stats().RecordsReceived)
	}

	// The table in the argument keeps them apart; the other names are
	// converted as before.
	dir, input, mp, m = keyExport(t, `[{split: ";"}, {key: "管理者=admin, 編集者=editor"}]`)
	var roles []string
	s, err = Run(context.Background(), RunConfig{Mapping: m, MappingPath: mp, Input: input, DryRun: true, Report: filepath.Join(dir, "r.csv"),
		Inspect: func(p *Prepared) { roles = append(roles, FieldValue(p, "roles")) }})
	if err != nil || s.Valid != 4 {
		t.Fatalf("with a table: %v %+v", err, s.PrepareStats)
	}
	if got := strings.Join(roles, " "); got != `["admin"] ["editor"] ["editor","beta_testers"] ["admin"]` {
		t.Fatalf("roles sent: %s", got)
	}
}

// TestKeyNamesPerField: the same name in roles and groups is no collision
// (a role and a group may share a key), and a name seen many times is one
// name.
func TestKeyNamesPerField(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("roles", "roles", TA("split", ";"), T("key"))
	m.Set("groups", "groups", TA("split", ";"), T("key"))
	plan, err := Compile(m, []string{"email", "roles", "groups"}, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range [][]string{{"beta-testers", "beta testers"}, {"beta-testers", "beta testers"}, {"Has Space", "x"}} {
		plan.Apply(&Row{Num: i + 1, Fields: []string{"a@example.com", r[0], r[1]}})
	}
	if c := plan.KeyCollisions(); len(c) != 0 {
		t.Fatalf("collisions %+v", c)
	}
	plan.Apply(&Row{Num: 9, Fields: []string{"a@example.com", "beta testers", ""}})
	if c := plan.KeyCollisions(); len(c) != 1 || c[0].Field != "role names" || c[0].Key != "beta_testers" {
		t.Fatalf("collisions %+v", c)
	}
}
