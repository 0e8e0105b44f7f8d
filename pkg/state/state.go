// Package state keeps what each step of an ASPSP flow produced (the
// consent, the authorization in progress, the code, the tokens) per
// profile, so that steps run as separate invocations chain: `consent
// create` leaves a consent ID that `authorize` picks up, whose code
// `token exchange` turns into a token that `accounts list` uses.
//
// Each profile is one JSON file, Dir/profiles/<profile>.json, mode 0600
// (it holds tokens), replaced atomically on every save. Update serialises
// read-modify-write cycles across processes with an advisory lock on
// Dir/profiles/<profile>.lock. Neither file is opened through a symbolic
// link: a link planted there (say, to a file of the user's elsewhere) is
// an error, and the file it points at is left as it is.
package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/atomicfile"
	"github.com/xs2a-dev/xs2a/pkg/budget"
)

// ExpiryMargin is how long before its expiry a token stops being Valid,
// so it is not sent only to expire in flight.
const ExpiryMargin = 30 * time.Second

// Token is an OAuth access token with what came with it.
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry"`
	Scope        string    `json:"scope,omitempty"`
	ConsentID    string    `json:"consent_id,omitempty"`
	// PaymentID is the payment a PIS token authorises.
	PaymentID string `json:"payment_id,omitempty"`
}

// Valid reports whether the token can be sent at now: it has an access
// token and does not expire within ExpiryMargin. A zero Expiry (the server
// sent no expires_in) counts as not expiring: the ASPSP will say when it
// has.
func (t *Token) Valid(now time.Time) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || now.Add(ExpiryMargin).Before(t.Expiry)
}

// Pending is an authorization in progress: what the redirect back must
// match (State) and what the code exchange needs (Verifier, RedirectURI).
type Pending struct {
	// Kind is what is authorised: "" an AIS consent, "pis" a payment
	// (ConsentID is then the payment's id), "piis" a funds confirmation
	// consent; the exchange keeps the token in that kind's slot.
	Kind        string    `json:"kind,omitempty"`
	ConsentID   string    `json:"consent_id,omitempty"`
	State       string    `json:"state,omitempty"`
	Verifier    string    `json:"code_verifier,omitempty"`
	RedirectURI string    `json:"redirect_uri,omitempty"`
	Created     time.Time `json:"created"`
}

// State is everything kept for one profile.
type State struct {
	ConsentID     string   `json:"consent_id,omitempty"`
	ConsentStatus string   `json:"consent_status,omitempty"`
	ValidUntil    string   `json:"valid_until,omitempty"`
	Pending       *Pending `json:"pending,omitempty"`
	// Code is an authorization code waiting for `token exchange`, with
	// the verifier and redirect URI the exchange must repeat.
	Code         string `json:"code,omitempty"`
	CodeVerifier string `json:"code_verifier,omitempty"`
	CodeRedirect string `json:"code_redirect_uri,omitempty"`
	// ClientToken comes from client_credentials; UserToken from an
	// authorization code or a refresh.
	ClientToken *Token `json:"client_token,omitempty"`
	UserToken   *Token `json:"user_token,omitempty"`
	// Payment is the last payment initiated (`xs2a payment initiate`),
	// with the PSU's token for it (`authorize --payment`): apart from
	// UserToken, so that authorising a payment leaves the AIS token, and
	// `accounts`, as they were.
	Payment *Payment `json:"payment,omitempty"`
	// PIISConsentID is the funds confirmation consent, PIISToken the
	// PSU's token for it (`authorize --piis`), apart from UserToken too.
	PIISConsentID string `json:"piis_consent_id,omitempty"`
	PIISToken     *Token `json:"piis_token,omitempty"`
	// AccountIDs are the resource ids the last account list returned, for
	// shell completion.
	AccountIDs []string `json:"account_ids,omitempty"`
	// Budget counts the calls the bank counts (pkg/budget), per consent
	// and per bank day.
	Budget  *budget.Ledger `json:"budget,omitempty"`
	Updated time.Time      `json:"updated"`
}

// Payment is a payment initiated, as `payment status|get|cancel` find it
// again: the path names service and product besides the id.
type Payment struct {
	ID      string `json:"id"`
	Service string `json:"service"`
	Product string `json:"product"`
	// Status is the last transactionStatus seen.
	Status string `json:"status,omitempty"`
	// Token is the PSU's token from `authorize --payment` and `token
	// exchange` (scope PIS:<paymentId>).
	Token   *Token    `json:"token,omitempty"`
	Created time.Time `json:"created"`
}

// Store keeps the state files under Dir.
type Store struct {
	Dir string
}

// DefaultDir is $XDG_STATE_HOME/xs2a, or ~/.local/state/xs2a when
// XDG_STATE_HOME is unset or not absolute (as the XDG spec asks).
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "xs2a"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the state directory: %w (set XDG_STATE_HOME)", err)
	}
	return filepath.Join(home, ".local", "state", "xs2a"), nil
}

// Open returns the store rooted at dir. Nothing is created until a save.
func Open(dir string) *Store { return &Store{Dir: dir} }

var profileName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidateProfile checks that name can be a file name under Dir/profiles:
// 1 to 64 of A-Z a-z 0-9 . _ -, and not "." or "..".
func ValidateProfile(name string) error {
	if !profileName.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("invalid profile name %q: use 1 to 64 letters, digits, '.', '_' or '-'", name)
	}
	return nil
}

func (s *Store) dir() string { return filepath.Join(s.Dir, "profiles") }

// Path is the state file of profile: Dir/profiles/<profile>.json. It
// fails for a name that is not a plain file name.
func (s *Store) Path(profile string) (string, error) {
	if err := ValidateProfile(profile); err != nil {
		return "", err
	}
	return filepath.Join(s.dir(), profile+".json"), nil
}

// Load reads profile's state. A profile that has none yet gets an empty
// State and no error.
func (s *Store) Load(profile string) (*State, error) {
	path, err := s.Path(profile)
	if err != nil {
		return nil, err
	}
	if err := s.checkOwner(); err != nil {
		return nil, err
	}
	f, err := openFile(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	data, err := io.ReadAll(f)
	_ = f.Close()
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	st := &State{}
	if len(bytes.TrimSpace(data)) == 0 {
		return st, nil
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt (%v): delete it, or run the step that writes it again", path, err)
	}
	return st, nil
}

// Save writes st as profile's state, setting st.Updated. The directory is
// created 0700 and the file written atomically at 0600: a failed save
// leaves the previous file as it was.
func (s *Store) Save(profile string, st *State) error {
	path, err := s.Path(profile)
	if err != nil {
		return err
	}
	if st == nil {
		st = &State{}
	}
	prev := st.Updated
	st.Updated = time.Now().UTC()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		st.Updated = prev
		return fmt.Errorf("saving state of profile %s: %w", profile, err)
	}
	if err := os.MkdirAll(s.dir(), 0o700); err != nil {
		st.Updated = prev
		return fmt.Errorf("saving state: %w", err)
	}
	if err := s.checkOwner(); err != nil {
		st.Updated = prev
		return err
	}
	// The rename below would replace a link, not write through it; the
	// link is still refused, as Load refuses it, so that it is seen.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		st.Updated = prev
		return fmt.Errorf("saving state: %w", &fs.PathError{Op: "open", Path: path, Err: errSymlink})
	}
	if err := atomicfile.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		st.Updated = prev
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}

// Update loads profile's state, lets fn change it and saves it, holding
// an exclusive lock on Dir/profiles/<profile>.lock throughout, so two
// invocations updating at once do not lose each other's changes. When fn
// returns an error nothing is saved and the error is returned. The lock
// waits for as long as another invocation holds it; it is released when
// that process exits, however it exits.
func (s *Store) Update(profile string, fn func(*State) error) error {
	unlock, err := s.lock(profile)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.Load(profile)
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	return s.Save(profile, st)
}

// Clear forgets profile's state (under the same lock as Update). A
// profile with no state is not an error.
func (s *Store) Clear(profile string) error {
	unlock, err := s.lock(profile)
	if err != nil {
		return err
	}
	defer unlock()
	path, _ := s.Path(profile)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clearing state: %w", err)
	}
	return nil
}

// lock takes the profile's lock file. The file itself is never removed:
// removing it while another process waits on it would let a third take a
// "lock" on a new file and both run at once.
func (s *Store) lock(profile string) (func(), error) {
	if err := ValidateProfile(profile); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.dir(), 0o700); err != nil {
		return nil, fmt.Errorf("locking state: %w", err)
	}
	if err := s.checkOwner(); err != nil {
		return nil, err
	}
	path := filepath.Join(s.dir(), profile+".lock")
	f, err := openFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking state: %w", err)
	}
	if err := lockFile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("locking state %s: %w", path, err)
	}
	return func() {
		_ = unlockFile(f)
		_ = f.Close()
	}, nil
}

// checkOwner refuses a state directory that belongs to another user. A
// link to it is followed (a user may keep the state elsewhere on purpose),
// but in a shared place such as a /tmp XDG_STATE_HOME another user could
// have made the directory first: they could read the tokens written there,
// or replace the state xs2a reads.
func (s *Store) checkOwner() error {
	fi, err := os.Stat(s.dir())
	if err != nil {
		return nil // not made yet: MkdirAll makes it ours
	}
	if uid, other := foreignOwner(fi); other {
		return fmt.Errorf("state directory %s belongs to another user (uid %d), who could read or replace your tokens: use a directory of your own (XDG_STATE_HOME)", s.dir(), uid)
	}
	return nil
}

// errSymlink is the error for a symbolic link where a state file goes.
var errSymlink = errors.New("is a symbolic link: xs2a does not follow links for its state; remove it")

// openFile opens a state or lock file without following a symbolic link
// and only when it is a regular file.
func openFile(path string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := lstatFirst(path); err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f, err := os.OpenFile(path, flag|noFollow, perm)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, &fs.PathError{Op: "open", Path: path, Err: errSymlink}
		}
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: errors.New("is not a regular file")}
	}
	return f, nil
}

// Exposure is a state file or directory others can read while it holds a
// secret.
type Exposure struct {
	Path string
	Dir  bool
	Mode fs.FileMode
}

// Fix is the command that closes it.
func (e Exposure) Fix() string {
	if e.Dir {
		return "chmod 700 " + e.Path
	}
	return "chmod 600 " + e.Path
}

// Exposed reports the profile's state directory and file when group or
// others have any permission on them and the state holds a token, a code
// or a PKCE verifier. xs2a creates them 0700 and 0600, but it does not
// change the mode of what is already there (a directory made by hand, a
// file copied in).
func (s *Store) Exposed(profile string) []Exposure {
	path, err := s.Path(profile)
	if err != nil {
		return nil
	}
	st, err := s.Load(profile)
	if err != nil || !st.holdsSecret() {
		return nil
	}
	var out []Exposure
	if fi, err := os.Stat(s.dir()); err == nil && fi.Mode().Perm()&0o077 != 0 {
		out = append(out, Exposure{Path: s.dir(), Dir: true, Mode: fi.Mode().Perm()})
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		out = append(out, Exposure{Path: path, Mode: fi.Mode().Perm()})
	}
	return out
}

func (st *State) holdsSecret() bool {
	for _, t := range []*Token{st.ClientToken, st.UserToken} {
		if t != nil && (t.AccessToken != "" || t.RefreshToken != "") {
			return true
		}
	}
	return st.Code != "" || st.CodeVerifier != "" || (st.Pending != nil && st.Pending.Verifier != "")
}
