package xs2a

import (
	"net/http"
	"time"
)

// Paced returns a RoundTripper that sends through base the way Do sends:
// each request waits for c's rate limiter, and a 429 with Retry-After (the
// gateway's per-second limit) is sent again after that wait, MaxRetries
// times at most and never for a wait over MaxWait. It is for callers that
// build their own requests, such as `xs2a replay`, which would otherwise
// send a recorded journey faster than the bank allows and report the
// bank's 429s as changes. A 429 without Retry-After (a consent's accesses
// used up) is returned as it came, and so is a request whose body cannot be
// read again (no GetBody).
func (c *Client) Paced(base http.RoundTripper) http.RoundTripper {
	return &paced{c: c, base: base}
}

type paced struct {
	c    *Client
	base http.RoundTripper
}

func (p *paced) RoundTrip(req *http.Request) (*http.Response, error) {
	retries := p.c.MaxRetries
	if retries == 0 {
		retries = 2
	}
	maxWait := p.c.MaxWait
	if maxWait == 0 {
		maxWait = 10 * time.Second
	}
	sleep := p.c.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		if err := p.c.limiter().Wait(ctx); err != nil {
			return nil, err
		}
		send := req
		if attempt > 0 {
			send = req.Clone(ctx)
			if req.Body != nil && req.Body != http.NoBody {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				send.Body = body
			}
		}
		resp, err := p.base.RoundTrip(send)
		if err != nil {
			return nil, err
		}
		ra := resp.Header.Get("Retry-After")
		rebuildable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
		if resp.StatusCode != http.StatusTooManyRequests || ra == "" || attempt >= retries || retries < 0 || !rebuildable {
			return resp, nil
		}
		wait := retryAfter(ra)
		if wait > maxWait {
			return resp, nil
		}
		resp.Body.Close()
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}
