// Package rehearsal gives the command's front ends (replay and the
// wizard) the in-process sandbox as an import target. It lives outside
// package importer so that the engine does not link a GraphQL server: the
// front end passes the sandbox in (importer.StartSandbox).
package rehearsal

import (
	"context"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// Start runs an in-process Authgear sandbox on 127.0.0.1 with a fresh key,
// playing the project c describes, and returns it as a target.
func Start(ctx context.Context, c importer.SandboxConfig) (*importer.Destination, error) {
	return importer.StartSandbox(ctx, c, Server)
}

// Server is the importer.SandboxStarter of the in-process sandbox.
func Server(ctx context.Context, c importer.SandboxConfig) (importer.SandboxServer, error) {
	kp, err := sandbox.GenerateKey()
	if err != nil {
		return importer.SandboxServer{}, err
	}
	const project = "sandbox"
	sb, err := sandbox.Start(ctx, "127.0.0.1:0", sandbox.Options{
		ProjectID:    project,
		Keys:         []sandbox.PublicKey{kp.PublicKey()},
		LoginIDTypes: c.LoginIDTypes,
		Roles:        c.Roles,
		Groups:       c.Groups,
		// The rehearsed project defines the custom attributes the mapping
		// uses: without them the sandbox drops them all, as Authgear drops
		// undefined ones, and a verify after the rehearsal reports every
		// custom attribute as different (issue 16 item 3).
		CustomAttributes: []string{"*"},
		Rate:             c.Rate,
	})
	if err != nil {
		return importer.SandboxServer{}, err
	}
	return importer.SandboxServer{URL: sb.URL, ProjectID: project, KeyID: kp.KID, Key: kp.Private,
		Close: func() { _ = sb.Close() }}, nil
}
