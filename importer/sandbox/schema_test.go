package sandbox

import (
	"encoding/json"
	"testing"
)

func causesJSON(t *testing.T, v *validator, doc string) string {
	t.Helper()
	inst, err := decodeForSchema([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v.validate(inst))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Causes beyond the recordings, in the shapes of pkg/lib/userimport's
// model_test.go (md §1.4) and of iawaknahc/jsonschema's keyword infos.
func TestSchemaCauses(t *testing.T) {
	sch, err := compileSchemas(false)
	if err != nil {
		t.Fatal(err)
	}
	email := sch.records["email"]
	for _, c := range []struct {
		v    *validator
		doc  string
		want string
	}{
		{email, `{}`, `[{"location":"","kind":"required","details":{"actual":[],"expected":["email"],"missing":["email"]}}]`},
		{email, `{"email":"a@example.com","password":{}}`, `[{"location":"/password","kind":"required","details":{"actual":[],"expected":["password_hash","type"],"missing":["password_hash","type"]}}]`},
		{email, `{"email":"a@example.com","password":{"type":"bcrypt","password_hash":""}}`, `[{"location":"/password/password_hash","kind":"minLength","details":{"actual":0,"expected":1}}]`},
		{email, `{"email":"a@example.com","password":{"type":"bcrypt","password_hash":"x","expire_after":"2025"}}`, `[{"location":"/password/expire_after","kind":"format","details":{"error":"date-time must be in rfc3339 format","format":"date-time"}}]`},
		{email, `{"email":"a@example.com","password":{"type":"bcrypt","password_hash":"x","expire_after":null}}`, `[{"location":"/password/expire_after","kind":"type","details":{"actual":["null"],"expected":["string"]}}]`},
		{email, `{"email":"a@example.com","mfa":{"unknown":1,"totp":{"secret":""}}}`, `[{"location":"/mfa/totp/secret","kind":"minLength","details":{"actual":0,"expected":1}},{"location":"/mfa/unknown","kind":""}]`},
		{email, `{"email":""}`, `[{"location":"/email","kind":"format","details":{"error":"invalid email address: mail: no address","format":"email"}}]`},
		{email, `{"email":"a@example.com","name":5,"password":{"type":7,"password_hash":"x"}}`, `[{"location":"/name","kind":"type","details":{"actual":["integer","number"],"expected":["null","string"]}},{"location":"/password/type","kind":"type","details":{"actual":["integer","number"],"expected":["string"]}},{"location":"/password/type","kind":"enum","details":{"actual":7,"expected":["bcrypt"]}}]`},
		{email, `{"email":"a@example.com","roles":["",1.5],"a/b":1}`, `[{"location":"/a~1b","kind":""},{"location":"/roles/0","kind":"minLength","details":{"actual":0,"expected":1}},{"location":"/roles/1","kind":"type","details":{"actual":["number"],"expected":["string"]}}]`},
		{sch.request, `{"identifier":5,"records":[{}]}`, `[{"location":"/identifier","kind":"type","details":{"actual":["integer","number"],"expected":["string"]}},{"location":"/identifier","kind":"enum","details":{"actual":5,"expected":["preferred_username","email","phone_number"]}}]`},
		{sch.request, `{"identifier":"foobar","records":[]}`, `[{"location":"/identifier","kind":"enum","details":{"actual":"foobar","expected":["preferred_username","email","phone_number"]}},{"location":"/records","kind":"minItems","details":{"actual":0,"expected":1}}]`},
	} {
		if got := causesJSON(t, c.v, c.doc); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.doc, got, c.want)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		name  string
		check func(any) error
		in    any
		want  string // "" = valid
	}{
		{"email", checkEmail, "user@localhost", ""},
		{"email", checkEmail, "u@exämple.com", ""},
		{"email", checkEmail, "<u@example.com>", "invalid email address"},
		{"email", checkEmail, " u@example.com", "invalid email address"},
		{"email", checkEmail, "John <j@example.com>", "invalid email address"},
		{"email", checkEmail, 5, ""},
		{"phone valid", checkPhone(false), "+85298765432", ""},
		{"phone valid", checkPhone(false), "+10000000000", "invalid phone number"},
		{"phone valid", checkPhone(false), "+85123456789", "not in E.164 format"},
		{"phone valid", checkPhone(false), "+852-9876-5432", "not in E.164 format"},
		{"phone possible", checkPhone(true), "+10000000000", ""},
		{"phone possible", checkPhone(true), "+1234", "invalid phone number"},
		{"uri", checkURI, "https://example.com", ""},
		{"uri", checkURI, "https://example.com/a/../b", "invalid path: /a/../b"},
		{"uri", checkURI, "/relative", "input URL must be absolute"},
		{"x_picture", checkPicture, "authgearimages:///app/object", ""},
		{"x_picture", checkPicture, "authgearimages://host/x", "authgearimages URI does not have host"},
		{"x_picture", checkPicture, "ftp://example.com/p.png", "invalid scheme: ftp"},
		{"birthdate", checkBirthdate, "1990-01-02", ""},
		{"birthdate", checkBirthdate, "0000-01-02", ""},
		{"birthdate", checkBirthdate, "--01-02", ""},
		{"birthdate", checkBirthdate, "1990", ""},
		{"birthdate", checkBirthdate, "1990-02-30", `invalid birthdate: "1990-02-30"`},
		{"timezone", checkTimezone, "Asia/Hong_Kong", ""},
		{"timezone", checkTimezone, "UTC", `valid timezone name has at least 1 slash: "UTC"`},
		{"bcp47", checkBCP47, "zh-Hant-HK", ""},
		{"bcp47", checkBCP47, "en-us", "non-canonical BCP 47 tag: en-us != en-US"},
		{"date-time", checkDateTime, "2006-01-02T15:04:05+08:00", ""},
	} {
		err := c.check(c.in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s(%v) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestLoginIDs(t *testing.T) {
	for _, c := range []struct{ key, in, want string }{
		{keyEmail, "UPPER.Case@Example.COM", "upper.case@example.com"},
		{keyEmail, "Ｆｕｌｌ@example.com", "full@example.com"},
		{keyUsername, "JDoe", "jdoe"},
		{keyPhone, "+85298765432", "+85298765432"},
	} {
		if got, err := normalizeLoginID(c.key, c.in); err != nil || got != c.want {
			t.Errorf("normalize %s %q = %q, %v; want %q", c.key, c.in, got, err, c.want)
		}
	}
	if e := checkLoginID(keyUsername, "x.y-z_1", true, false); e != nil {
		t.Errorf("x.y-z_1: %v", e.Info)
	}
	if e := checkLoginID(keyUsername, "Administrator", true, false); e == nil || e.Info["causes"].([]any)[0].(map[string]any)["kind"] != "blocked" {
		t.Errorf("Administrator: %v", e)
	}
	if e := checkLoginID(keyUsername, "ünïcode", true, false); e == nil {
		t.Error("a non-ASCII username passed (ascii_only is the default)")
	}
	if e := checkLoginID(keyEmail, "a@example.com", false, false); e == nil || e.Message != "invalid login ID" {
		t.Errorf("disabled key: %v", e)
	}
}
