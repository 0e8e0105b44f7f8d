package sandbox

import (
	"fmt"
	"net/http"
	"net/netip"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// checkPSUIP refuses a PSU-IP-Address that is not an IP address, wherever
// it is sent: its presence tells the PSU is there (the call does not count
// against frequencyPerDay), so a value like 999.1.1.1 must not pass for
// one. IPv4 or IPv6 (netip.ParseAddr), without an IPv6 zone, which names
// an interface of the sender's machine, not an address.
func checkPSUIP(h http.Header) *apiError {
	vs := h.Values("PSU-IP-Address")
	if len(vs) == 0 {
		return nil
	}
	if len(vs) > 1 {
		return reject(http.StatusBadRequest, CodeFormatError, "PSU-IP-Address is sent more than once; it is one IP address").withPath("PSU-IP-Address")
	}
	a, err := netip.ParseAddr(vs[0])
	if err != nil || a.Zone() != "" {
		return reject(http.StatusBadRequest, CodeFormatError, fmt.Sprintf("PSU-IP-Address %q is not an IP address", text.Clip(vs[0], 60))).withPath("PSU-IP-Address")
	}
	return nil
}

// requirePSUIP: the file makes PSU-IP-Address mandatory on POST
// /v1/consents ("If not available, the TPP shall use the IP Address used
// by the TPP when submitting this request").
func requirePSUIP(h http.Header) *apiError {
	if h.Get("PSU-IP-Address") == "" {
		return reject(http.StatusBadRequest, CodeFormatError,
			"PSU-IP-Address header is missing; POST /v1/consents carries the PSU's IP address (if not available, the TPP's own)").withPath("PSU-IP-Address")
	}
	return nil
}
