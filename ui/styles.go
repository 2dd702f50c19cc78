// Package ui holds what every step of the wizard shares: the styles, the
// key maps and the frame (the step header and the help line). It knows
// nothing of the engine or the steps.
package ui

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Palette: one adaptive colour per role, for light and dark terminals.
var (
	colorAccent  = lipgloss.AdaptiveColor{Light: "#5A3FD9", Dark: "#9D8CFF"}
	colorMuted   = lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"}
	colorGood    = lipgloss.AdaptiveColor{Light: "#1A7F37", Dark: "#3FB950"}
	colorBad     = lipgloss.AdaptiveColor{Light: "#C62828", Dark: "#FF7B72"}
	colorWarn    = lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#D29922"}
	colorSuggest = lipgloss.AdaptiveColor{Light: "#0969DA", Dark: "#58A6FF"}
)

// Styles is every style the wizard draws with. It is built from the
// renderer of the output it draws on, so NO_COLOR and a terminal without
// colour give plain text.
type Styles struct {
	// Plain is set when the output takes no colour and no attribute
	// (NO_COLOR, a dumb terminal): what colour, bold or reverse video
	// would show is then written as characters (the current step in
	// brackets, a bar for a text field's cursor).
	Plain      bool
	Screen     lipgloss.Style
	StepDone   lipgloss.Style
	StepActive lipgloss.Style
	StepTodo   lipgloss.Style
	StepSep    lipgloss.Style
	Title      lipgloss.Style
	Muted      lipgloss.Style
	Good       lipgloss.Style
	Bad        lipgloss.Style
	Warn       lipgloss.Style
	Suggested  lipgloss.Style
	Selected   lipgloss.Style
	Key        lipgloss.Style
	Box        lipgloss.Style
	ErrorBox   lipgloss.Style
	JSONKey    lipgloss.Style
	JSONString lipgloss.Style
	JSONOther  lipgloss.Style
	Code       lipgloss.Style
	CodeNote   lipgloss.Style
}

// NewStyles builds the styles for r.
func NewStyles(r *lipgloss.Renderer) *Styles {
	s := &Styles{Plain: r.ColorProfile() == termenv.Ascii}
	s.Screen = r.NewStyle()
	s.StepDone = r.NewStyle().Foreground(colorGood)
	s.StepActive = r.NewStyle().Foreground(colorAccent).Bold(true).Underline(true)
	s.StepTodo = r.NewStyle().Foreground(colorMuted)
	s.StepSep = r.NewStyle().Foreground(colorMuted)
	s.Title = r.NewStyle().Bold(true).Foreground(colorAccent)
	s.Muted = r.NewStyle().Foreground(colorMuted)
	s.Good = r.NewStyle().Foreground(colorGood)
	s.Bad = r.NewStyle().Foreground(colorBad)
	s.Warn = r.NewStyle().Foreground(colorWarn)
	s.Suggested = r.NewStyle().Foreground(colorSuggest)
	s.Selected = r.NewStyle().Bold(true).Foreground(colorAccent)
	s.Key = r.NewStyle().Bold(true)
	s.Box = r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(colorMuted).Padding(0, 1)
	s.ErrorBox = r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(colorBad).Padding(0, 1)
	s.JSONKey = r.NewStyle().Foreground(colorAccent)
	s.JSONString = r.NewStyle().Foreground(colorGood)
	s.JSONOther = r.NewStyle().Foreground(colorWarn)
	s.Code = r.NewStyle()
	s.CodeNote = r.NewStyle().Foreground(colorMuted).Italic(true)
	return s
}
