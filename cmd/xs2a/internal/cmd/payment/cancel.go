package payment

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// CancelOptions are the flags of `xs2a payment cancel` and what it uses.
type CancelOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	Browser cmdutil.Browser
	ID      string
	Path    PathFlags
	// Status (--status) shows the cancellation authorisations instead of
	// cancelling.
	Status bool
	// Authorize (--authorize) goes on into the PSU's authorisation of the
	// cancellation, as `authorize --payment --exchange` would, with its
	// wait flags.
	Authorize bool
	Wait      cmdutil.AuthorizeFlags
}

// NewCmdCancel builds `xs2a payment cancel`; runF replaces the run function in tests.
func NewCmdCancel(f *cmdutil.Factory, runF func(*CancelOptions) error) *cobra.Command {
	o := &CancelOptions{IO: f.IO, Session: f.Session, Browser: f.Browser}
	cmd := &cobra.Command{
		Use:               "cancel [ID]",
		ValidArgsFunction: completePayment(f),
		Short:             "Cancel a payment (DELETE); the id defaults to the last initiated",
		Long: `Cancel a payment (DELETE /v1/{payment-service}/{payment-product}/{paymentId}).
The bank cancels at once (204: the payment is CANC) or asks the PSU to
authorise the cancellation (202 with _links.startAuthorisation): then the
cancellation's authorisation is started (POST .../cancellation-authorisations)
and its id and the bank's SCA link are printed; the PSU authorises it at the
bank with the payment's own scope (OAuth approach: xs2a authorize --payment),
and the payment becomes CANC once the PSU approved.

With --authorize the PSU's authorisation follows at once (the browser, or
the URL with --no-browser), as 'xs2a authorize --payment --exchange' would,
and the payment's status is read again.

With --status nothing is cancelled: the payment's cancellation
authorisations are listed with their scaStatus (GET
.../cancellation-authorisations and .../{authorisationId}).`,
		Example: `  xs2a payment cancel
  xs2a payment cancel pay-123 --service periodic-payments
  xs2a authorize --payment                       # the PSU authorises the cancellation
  xs2a payment cancel --status                   # received, ..., finalised or failed
  xs2a payment cancel --authorize --no-browser   # DELETE, then the PSU's authorisation`,
		Args: cmdutil.MaximumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = argID(args)
			if o.Authorize && o.Status {
				return cmdutil.UsageErrorf("--authorize and --status exclude each other")
			}
			if err := o.Wait.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			if o.Status {
				return cancelStatusRun(cmd.Context(), o)
			}
			return cancelRun(cmd.Context(), o)
		},
	}
	o.Path.register(cmd)
	cmd.Flags().BoolVar(&o.Status, "status", false, "cancel nothing: show the payment's cancellation authorisations and their scaStatus")
	cmd.Flags().BoolVar(&o.Authorize, "authorize", false, "when the bank asks, go on into the PSU's authorisation of the cancellation (as authorize --payment --exchange)")
	o.Wait.Register(cmd)
	return cmd
}

// cancelJSON is `payment cancel -o json`.
type cancelJSON struct {
	targetJSON
	TransactionStatus string `json:"transaction_status,omitempty"`
	// Cancelled: the bank cancelled at once (204).
	Cancelled bool `json:"cancelled"`
	// AuthorisationRequired: the PSU must authorise the cancellation.
	AuthorisationRequired bool   `json:"authorisation_required"`
	AuthorisationID       string `json:"authorisation_id,omitempty"`
	SCAStatus             string `json:"sca_status,omitempty"`
	SCALink               string `json:"sca_link,omitempty"`
	// BankResponse is the DELETE's answer (null for a 204),
	// AuthorisationResponse the cancellation authorisation's.
	BankResponse          json.RawMessage `json:"bank_response"`
	AuthorisationResponse json.RawMessage `json:"authorisation_response,omitempty"`
	// Authorized: --authorize ran the PSU's authorisation through;
	// transaction_status is then the status read after it.
	Authorized bool `json:"authorized,omitempty"`
}

// authorizeCancellation is --authorize: the PSU's authorisation of the
// cancellation (the payment's scope: the bank's page is the
// cancellation's while it is asked), then the payment's status again.
func authorizeCancellation(ctx context.Context, o *CancelOptions, s *cmdutil.Session, t Target, out *cancelJSON) error {
	ao, browse := o.Wait.Options(o.IO, o.Browser)
	// The timeout's hint is Authorize's own (the id quoted, --exchange).
	ao.ConsentID, ao.Exchange, ao.Kind = t.ID, true, profile.ScopePIS
	if _, err := s.Authorize(ctx, ao, browse, o.IO.ErrOut); err != nil {
		return err
	}
	st, _, err := (&StatusOptions{IO: o.IO}).Read(ctx, s, t)
	if err != nil {
		return err
	}
	out.Authorized, out.TransactionStatus = true, st.TransactionStatus
	return nil
}

func cancelRun(ctx context.Context, o *CancelOptions) error {
	s, t, err := o.Path.open(o.Session, o.ID)
	if err != nil {
		return err
	}
	var c *xs2a.PaymentCancelled
	var auth *xs2a.Authorisation
	err = s.WithClientToken(ctx, func(token string) (err error) {
		if c == nil {
			if c, err = s.API.CancelPayment(ctx, token, t.Service, t.Product, t.ID); err != nil {
				return err
			}
		}
		if c.NeedsAuthorisation() {
			auth, err = s.API.StartCancellationAuthorisation(ctx, token, t.Service, t.Product, t.ID, c.Links["startAuthorisation"].Href)
		}
		return err
	})
	if err != nil {
		return err
	}
	out := cancelJSON{targetJSON: t.json(), TransactionStatus: c.TransactionStatus,
		Cancelled: c.HTTPStatus == 204, AuthorisationRequired: auth != nil, BankResponse: bankBody(c.Body)}
	if auth != nil {
		out.AuthorisationID, out.SCAStatus, out.AuthorisationResponse = auth.AuthorisationID, auth.SCAStatus, bankBody(auth.Body)
		for _, k := range []string{"scaOAuth", "scaRedirect"} {
			if href := auth.Links[k].Href; href != "" && out.SCALink == "" {
				if u, err := s.Origins.Resolve(k+" link", href); err != nil {
					fmt.Fprintf(o.IO.ErrOut, "warning: %v\n", err)
				} else {
					out.SCALink = u.String()
				}
			}
		}
	}
	if auth != nil && o.Authorize {
		if err := authorizeCancellation(ctx, o, s, t, &out); err != nil {
			return err
		}
	}
	Remember(s, t, out.TransactionStatus)
	if s.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, out)
	}
	if out.Cancelled {
		fmt.Fprintf(o.IO.Out, "payment %s: cancelled (CANC)\n", l(t.ID))
		return nil
	}
	if out.Authorized {
		fmt.Fprintf(o.IO.Out, "payment %s: the PSU authorised the cancellation (authorisation %s); status %s\n", l(t.ID), l(out.AuthorisationID), l(out.TransactionStatus))
		return nil
	}
	if auth == nil {
		fmt.Fprintf(o.IO.Out, "payment %s: cancellation accepted, status %s\n", l(t.ID), l(c.TransactionStatus))
		return nil
	}
	fmt.Fprintf(o.IO.Out, "payment %s: the PSU must authorise the cancellation (authorisation %s, %s)\n", l(t.ID), l(auth.AuthorisationID), l(auth.SCAStatus))
	if out.SCALink != "" {
		fmt.Fprintf(o.IO.Out, "sca link: %s\n", l(out.SCALink))
	}
	// The bank's page for the payment's scope (PIS:<paymentId>) is the
	// cancellation's while it awaits the PSU. Each step names the payment:
	// it need not be the remembered one, which they would act on.
	id := l(shquote.Arg(t.ID))
	fmt.Fprintln(o.IO.ErrOut, "next: the PSU authorises the cancellation: "+s.Again("authorize --payment "+id)+", then "+s.Again(StatusWords(t))+
		" (CANC once approved) or "+s.Again("payment cancel "+id+" --status"+pathWords(t)))
	return nil
}

// cancellationJSON is `payment cancel --status -o json`.
type cancellationJSON struct {
	targetJSON
	Authorisations []cancellationAuthJSON `json:"cancellation_authorisations"`
}

type cancellationAuthJSON struct {
	AuthorisationID string          `json:"authorisation_id"`
	SCAStatus       string          `json:"sca_status"`
	BankResponse    json.RawMessage `json:"bank_response"`
}

// cancelStatusRun is `payment cancel --status`: each cancellation
// authorisation of the payment and its scaStatus, oldest first.
func cancelStatusRun(ctx context.Context, o *CancelOptions) error {
	s, t, err := o.Path.open(o.Session, o.ID)
	if err != nil {
		return err
	}
	out := cancellationJSON{targetJSON: t.json(), Authorisations: []cancellationAuthJSON{}}
	err = s.WithClientToken(ctx, func(token string) error {
		ids, _, err := s.API.CancellationAuthorisations(ctx, token, t.Service, t.Product, t.ID)
		if err != nil {
			return err
		}
		out.Authorisations = out.Authorisations[:0]
		for _, id := range ids {
			st, body, err := s.API.CancellationSCAStatus(ctx, token, t.Service, t.Product, t.ID, id)
			if err != nil {
				return err
			}
			out.Authorisations = append(out.Authorisations, cancellationAuthJSON{AuthorisationID: id, SCAStatus: st, BankResponse: bankBody(body)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, out)
	}
	if len(out.Authorisations) == 0 {
		fmt.Fprintf(o.IO.Out, "payment %s: no cancellation authorisation\n", l(t.ID))
		return nil
	}
	for _, a := range out.Authorisations {
		fmt.Fprintf(o.IO.Out, "payment %s: cancellation authorisation %s: %s\n", l(t.ID), l(a.AuthorisationID), l(a.SCAStatus))
	}
	return nil
}
