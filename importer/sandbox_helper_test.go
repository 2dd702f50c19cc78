package importer

import (
	"context"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// testSandbox is the SandboxStarter of the engine's own tests (the
// command's is internal/rehearsal, which imports this package).
func testSandbox(ctx context.Context, c SandboxConfig) (SandboxServer, error) {
	kp, err := sandbox.GenerateKey()
	if err != nil {
		return SandboxServer{}, err
	}
	sb, err := sandbox.Start(ctx, "127.0.0.1:0", sandbox.Options{ProjectID: "sandbox",
		Keys: []sandbox.PublicKey{kp.PublicKey()}, LoginIDTypes: c.LoginIDTypes, Roles: c.Roles, Groups: c.Groups, Rate: c.Rate})
	if err != nil {
		return SandboxServer{}, err
	}
	return SandboxServer{URL: sb.URL, ProjectID: "sandbox", KeyID: kp.KID, Key: kp.Private, Close: func() { _ = sb.Close() }}, nil
}
