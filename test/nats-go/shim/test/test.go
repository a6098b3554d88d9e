// Package test stands in for nats-server's test helpers: the same defaults, with servers
// started as child processes by the server shim.
package test

import (
	"fmt"
	"os"
	"regexp"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultTestOptions are nats-server's test defaults.
var DefaultTestOptions = server.Options{
	Host:                  "127.0.0.1",
	Port:                  4222,
	NoLog:                 true,
	NoSigs:                true,
	MaxControlLine:        4096,
	DisableShortFirstPing: true,
}

// RunServer starts a server with opts and panics if it does not come up, as nats-server's does.
func RunServer(opts *server.Options) *server.Server {
	if opts == nil {
		o := DefaultTestOptions
		opts = &o
	}
	s, err := server.Start(opts)
	if err != nil {
		panic(fmt.Sprintf("No NATS Server object returned: %v", err))
	}
	return s
}

var storeDirRe = regexp.MustCompile(`store_dir\s*[:=]?\s*["']?([^"'\s,}]+)`)

// RunServerWithConfig starts a server from a config file.
func RunServerWithConfig(configFile string) (*server.Server, *server.Options) {
	opts := &server.Options{ConfigFile: configFile}
	if b, err := os.ReadFile(configFile); err == nil {
		if m := storeDirRe.FindSubmatch(b); m != nil {
			opts.StoreDir = string(m[1])
		}
	}
	server.ReadConfigFile(opts)
	return RunServer(opts), opts
}
