package cmdutil

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// ListenAddr reads a listen address as a user types it: a bare port
// ("8082") is 127.0.0.1:8082, and so is ":8082" unless allowRemote (with
// --allow-remote it keeps Go's meaning, every interface): a listener of
// xs2a is loopback unless told otherwise, so a port alone means there.
func ListenAddr(addr string, allowRemote bool) string {
	port, colon := strings.CutPrefix(addr, ":")
	if colon && allowRemote {
		return addr
	}
	if n, err := strconv.Atoi(port); err == nil && n >= 0 && n <= 65535 && port == strings.TrimSpace(port) {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// CheckListen refuses a listen address beyond loopback unless allowRemote
// (--allow-remote): a listener of xs2a lends something to whoever reaches
// it, which exposes says ("the proxy uses the TPP's certificates for anyone
// who reaches it"). example is a loopback address:port for the message.
func CheckListen(flag, addr string, allowRemote bool, exposes, example string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return UsageErrorf("%s %q: %v (want host:port or a port, e.g. %s or 8082)", flag, addr, err, example)
	}
	if allowRemote || IsLoopback(addr) {
		return nil
	}
	return UsageErrorf("%s %q is not a loopback address: %s; use 127.0.0.1 or [::1], or give --allow-remote", flag, addr, exposes)
}

// IsLoopback reports a host:port whose host is a loopback IP address
// (a name, "localhost" included, is not: it may resolve elsewhere).
func IsLoopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ListenFlag is a listen address and the flag that set it.
type ListenFlag struct{ Flag, Addr string }

// AddrInUse is the usage error for a listener that failed because its
// address is taken (another `sandbox serve`, another proxy): it names
// every one of flags whose address is taken now, so that the user does
// not fix one port to fail on the next, and the way out (port 0 picks a
// free one, and the command prints it). It is nil when err is not that.
func AddrInUse(err error, flags ...ListenFlag) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil
	}
	var taken, fix []string
	for _, f := range flags {
		if !inUse(f.Addr) {
			continue
		}
		taken = append(taken, fmt.Sprintf("%s (%s)", f.Addr, f.Flag))
		fix = append(fix, f.Flag+" :0")
	}
	if len(taken) == 0 { // freed since: name what failed
		return UsageErrorf("%v: give another address, or port 0 for a free one (printed)", err)
	}
	what := taken[0] + " is"
	if len(taken) > 1 {
		what = strings.Join(taken[:len(taken)-1], ", ") + " and " + taken[len(taken)-1] + " are"
	}
	return UsageErrorf("%s already in use (another xs2a still running?): stop it, or give another address, e.g. %s for a free port (printed)",
		what, strings.Join(fix, " "))
}

// inUse reports whether addr cannot be listened on because another
// listener holds it; port 0 is never taken.
func inUse(addr string) bool {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return errors.Is(err, syscall.EADDRINUSE)
	}
	ln.Close()
	return false
}
