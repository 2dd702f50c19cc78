package rehearsal

import (
	"context"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// A rehearsal keeps the records' custom attributes, as a project that
// defines them would: before, the in-process sandbox dropped them all (as
// Authgear drops undefined ones), and a verify after the rehearsal
// reported every custom attribute as different (issue 16 item 3).
func TestRehearsalKeepsCustomAttributes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := Start(ctx, importer.SandboxConfig{LoginIDTypes: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	job, err := d.API.CreateImport(ctx, []byte(`{"identifier":"email","records":[{"email":"ca@example.com","custom_attributes":{"member_id":"M-42","score":7,"tags":["a","b"]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for job.Status != adminapi.StatusCompleted {
		if job, err = d.API.GetImport(ctx, job.ID); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	u, err := d.API.(*adminapi.Client).LookupUser(ctx, "email", "ca@example.com")
	if err != nil || u == nil {
		t.Fatalf("look-up: %v %v", u, err)
	}
	want := map[string]any{"member_id": "M-42", "score": float64(7), "tags": []any{"a", "b"}}
	if len(u.CustomAttributes) != len(want) || u.CustomAttributes["member_id"] != "M-42" || u.CustomAttributes["score"] != float64(7) {
		t.Errorf("custom attributes = %v, want %v", u.CustomAttributes, want)
	}
}
