package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

type keysOnly struct{ k *KeyMap }

func (k keysOnly) ShortHelp() []key.Binding  { return []key.Binding{k.k.Help, k.k.Quit} }
func (k keysOnly) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

func newHelp() help.Model { return help.New() }
