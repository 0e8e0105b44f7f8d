package cmdutil

import (
	"context"
	"fmt"

	"github.com/xs2a-dev/xs2a/pkg/state"
)

// PIISToken is the PSU's token of the funds confirmation consent the state
// keeps (`xs2a authorize --piis --exchange`), refreshed with its refresh
// token when expired; nil when the state keeps none.
func (s *Session) PIISToken(ctx context.Context) (*state.Token, error) {
	name := s.Config.ProfileName
	st, err := s.Store.Load(name)
	if err != nil {
		return nil, err
	}
	old := st.PIISToken
	if old == nil || old.Valid(s.Now()) {
		return old, nil
	}
	again := fmt.Sprintf("`xs2a authorize --piis %s --exchange`", old.ConsentID)
	if old.RefreshToken == "" {
		return nil, &ExitError{Code: ExitAuth, Err: fmt.Errorf("the PIIS token of consent %s expired and has no refresh token: run %s", old.ConsentID, again)}
	}
	tok, err := s.refreshed(ctx, old, "the ASPSP refuses the PIIS refresh token: have the PSU authorise the consent again, "+again)
	if err != nil {
		return nil, err
	}
	err = s.Store.Update(name, func(st *state.State) error { st.PIISToken = tok; return nil })
	return tok, err
}
