package cmdutil

import (
	"strconv"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/profile"
)

// ApplySigning sets a signer from a profile's signing settings (or flags
// merged over them), so `xs2a sign` and the network commands read them the
// same way. Bad values are usage errors naming the profile key.
func ApplySigning(s *httpsig.Signer, sg profile.Signing) error {
	var err error
	if sg.Algorithm != "" {
		if s.Algorithm, err = httpsig.ParseAlgorithm(sg.Algorithm); err != nil {
			return UsageError(err)
		}
	}
	if sg.Digest != "" {
		if s.Digest, err = httpsig.ParseDigestAlgorithm(sg.Digest); err != nil {
			return UsageError(err)
		}
	}
	if sg.KeyIDForm != "" {
		if sg.SerialForm != "" || sg.DNForm != "" {
			return UsageErrorf("signing.keyid_form %q names the serial and DN forms: leave out signing.serial_form and signing.dn_form", sg.KeyIDForm)
		}
		if s.KeyID, err = httpsig.ParseKeyIDFormName(sg.KeyIDForm); err != nil {
			return UsageError(err)
		}
	}
	if sg.SerialForm != "" {
		if s.KeyID.Serial, err = httpsig.ParseSerialForm(sg.SerialForm); err != nil {
			return UsageError(err)
		}
	}
	if sg.DNForm != "" {
		if s.KeyID.DN, err = httpsig.ParseDNForm(sg.DNForm); err != nil {
			return UsageError(err)
		}
	}
	if sg.SignDate != "" {
		if s.SignDate, err = strconv.ParseBool(sg.SignDate); err != nil {
			return UsageErrorf("signing.sign_date %q is not true or false", sg.SignDate)
		}
	}
	return nil
}
