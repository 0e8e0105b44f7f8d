package cmdutil

import "net"

// CheckListen refuses a listen address beyond loopback unless allowRemote
// (--allow-remote): a listener of xs2a lends something to whoever reaches
// it, which exposes says ("the proxy uses the TPP's certificates for anyone
// who reaches it"). example is a loopback address:port for the message.
func CheckListen(flag, addr string, allowRemote bool, exposes, example string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return UsageErrorf("%s %q: %v (want host:port, e.g. %s)", flag, addr, err, example)
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
