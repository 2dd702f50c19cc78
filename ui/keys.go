package ui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds the bindings every step shares; steps add their own. The
// help line is written from them.
type KeyMap struct {
	Back key.Binding
	Up   key.Binding
	Down key.Binding
	Help key.Binding
	Quit key.Binding
}

// DefaultKeyMap is the wizard's global bindings.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Back: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Up:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down: key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Help: key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Quit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}

// Binding is a shorthand for a step's own binding.
func Binding(keys []string, help, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}
