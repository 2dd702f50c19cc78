package steps

import (
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

// The canary can sign in (issue 16 items 2 and 7): on the confirmation
// screen, ctrl+s takes a login ID and a password (the form of signin.go)
// for RunConfig.CanarySignIn, replay's --canary-sign-in. The engine sends
// that user's record first, signs in after the canary, and stops before
// the bulk when the password is not right; after the canary it estimates
// how long the rest takes. The password stays in the model only until the
// run starts (or the choice is dropped).

// openCanarySignIn opens the form on the confirmation screen, with the
// login ID chosen before (the password is typed again).
func (m *importingStep) openCanarySignIn() tea.Cmd {
	login, endpoint := m.signInLogin, m.signInEndpoint
	if m.canary != nil {
		login, endpoint = m.canary.LoginID, m.canary.PublicEndpoint
	}
	m.signIn = newSignInForm(login, m.real, endpoint)
	m.signIn.setWidth(m.c.Width)
	m.confirm.Blur()
	return m.signIn.setFocus(m.signIn.focus)
}

// setCanary keeps the form's login ID and password for the run.
func (m *importingStep) setCanary() tea.Cmd {
	login, password, endpoint := m.signIn.take()
	m.signIn = nil
	m.canary = &importer.SignInCheck{LoginID: login, Password: password, PublicEndpoint: endpoint}
	m.signInLogin, m.signInEndpoint = login, endpoint
	return m.refocusConfirm()
}

// dropCanary forgets the sign-in chosen for the canary.
func (m *importingStep) dropCanary() tea.Cmd {
	if m.signIn != nil {
		m.signIn.clear()
		m.signIn = nil
	}
	m.canary = nil
	return m.refocusConfirm()
}

func (m *importingStep) refocusConfirm() tea.Cmd {
	if m.real && m.phase == phaseConfirm {
		return m.confirm.Focus()
	}
	return nil
}

// canaryConfirmView is the canary's sign-in on the confirmation screen.
func (m *importingStep) canaryConfirmView() string {
	st := m.c.Styles
	width := max(m.c.Width-2, 20)
	var b strings.Builder
	switch {
	case m.signIn != nil:
		b.WriteString(st.Title.Render("Sign in as one user during the canary") + "\n")
		b.WriteString(m.signIn.view(st))
		b.WriteString(st.Muted.Render(ui.Wrap("That user's record is sent first; after it, the import signs in with this password, and stops before the rest is sent when the password does not work. The password is never shown or written.", width)) + "\n")
	case m.canary != nil:
		b.WriteString(st.Good.Render(ui.Wrap(fmt.Sprintf("The canary signs in as %s before the rest is sent (ctrl+s changes it).", importer.Printable(m.canary.LoginID)), width)) + "\n")
	default:
		b.WriteString(st.Muted.Render(ui.Wrap("ctrl+s: sign in as one of the users during the canary, before the rest is sent (optional).", width)) + "\n")
	}
	return b.String()
}

// canaryRunView is what the run says of the canary's sign-in and of the
// time the rest takes.
func (m *importingStep) canaryRunView() string {
	st := m.c.Styles
	width := max(m.c.Width-2, 20)
	var b strings.Builder
	who := importer.Printable(m.s.canaryLogin)
	if r := m.canaryRes; r != nil {
		method := ""
		if r.LoginMethod != "" {
			method = " (" + importer.Printable(r.LoginMethod) + " login)"
		}
		switch r.Outcome {
		case importer.SignInSucceeded:
			b.WriteString(st.Good.Render(ui.Wrap(fmt.Sprintf("canary sign-in: ✓ %s signs in with that password%s.", who, method), width)) + "\n")
		case importer.SignInMustChangePassword:
			b.WriteString(st.Good.Render(ui.Wrap(fmt.Sprintf("canary sign-in: ✓ the password of %s is right%s, but weaker than the project's policy: Authgear asks for a new one at sign-in.", who, method), width)) + "\n")
		case importer.SignInDisabled:
			b.WriteString(st.Warn.Render(ui.Wrap(fmt.Sprintf("canary sign-in: the password is right, but %s is disabled; the import goes on.", who), width)) + "\n")
		case importer.SignInRateLimited:
			msg := "canary sign-in: rate limited (HTTP 429): this proves nothing about the password."
			if m.canaryRetrying && m.phase != phaseDone {
				wait := "about a minute"
				if r.RetryAfter > 0 {
					wait = importer.AboutDuration(r.RetryAfter)
				}
				msg += " Waiting " + wait + " to try once more…"
			}
			b.WriteString(st.Warn.Render(ui.Wrap(msg, width)) + "\n")
		case importer.SignInUnknownUser:
			b.WriteString(st.Bad.Render(ui.Wrap(fmt.Sprintf("canary sign-in: ✗ no user has the login ID %s after its request (%s).", who, importer.Printable(r.Reason)), width)) + "\n")
		case importer.SignInWrongPassword:
			b.WriteString(st.Bad.Render(ui.Wrap(fmt.Sprintf("canary sign-in: ✗ %s does not sign in with that password.", who), width)) + "\n")
		default:
			b.WriteString(st.Bad.Render(ui.Wrap(fmt.Sprintf("canary sign-in: ✗ an answer the check does not know (%s): nothing is proven.", importer.Printable(r.Reason)), width)) + "\n")
		}
	} else if m.s.canaryLogin != "" && m.phase != phaseDone {
		b.WriteString(st.Muted.Render(ui.Wrap(fmt.Sprintf("the canary signs in as %s after its request…", who), width)) + "\n")
	}
	if e := m.estimate; e != nil && m.phase != phaseDone {
		b.WriteString(ui.Wrap("before the rest: "+e.String(), width) + "\n")
		if basis := e.Basis(); basis != "" {
			b.WriteString(st.Muted.Render(ui.Wrap(basis, width)) + "\n")
		}
	}
	return b.String()
}
