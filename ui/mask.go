package ui

import "github.com/charmbracelet/bubbles/key"

// Masked stands for a secret value on screen.
const Masked = "••••••••"

// UnmaskKey shows or hides secrets (password hashes, clear-text
// passwords, MFA secrets) on every screen that shows export values.
var UnmaskKey = key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "show secrets"))

// Mask is what a screen shows of v: Masked when v is a secret (and not
// empty) and the person has not asked to see secrets.
func Mask(v string, secret, unmasked bool) string {
	if secret && !unmasked && v != "" {
		return Masked
	}
	return v
}
