// Package server stands in for nats-server's Go package when nats.go's own test suite runs
// against an external server: RunServer starts a child process (NATS_SUITE_SERVER, a command
// line such as "nats-server" or "node dist/cli.js") from the options the tests set, the way a
// user would start it, and the *Server the tests hold is a handle on that process.
package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// JSApiStreamLeaderStepDownT is the subject template nats.go's cluster tests use.
const JSApiStreamLeaderStepDownT = "$JS.API.STREAM.LEADER.STEPDOWN.%s"

// ClusterOpts holds the cluster options the tests set.
type ClusterOpts struct {
	Name string
	Host string
	Port int
}

// Options holds the server options nats.go's tests set; RunServer writes them as a config file.
type Options struct {
	ConfigFile            string
	ServerName            string
	Host                  string
	Port                  int
	NoLog                 bool
	NoSigs                bool
	Trace                 bool
	Debug                 bool
	MaxControlLine        int32
	DisableShortFirstPing bool
	JetStream             bool
	StoreDir              string
	// Lame duck times are set by the tests but not written: a config file refuses under 30 s,
	// and no test here puts a server into lame duck mode.
	LameDuckDuration    time.Duration
	LameDuckGracePeriod time.Duration
	Cluster             ClusterOpts
	Routes              []*url.URL
	Tags                []string
}

// JetStreamConfig is what JetStreamConfig reports: where the server keeps its streams.
type JetStreamConfig struct {
	StoreDir string
}

// Server is a running child server process.
type Server struct {
	cmd      *exec.Cmd
	done     chan struct{}
	url      string
	storeDir string
	tmp      string
}

// RoutesFromStr parses a comma-separated list of route URLs.
func RoutesFromStr(s string) []*url.URL {
	var out []*url.URL
	for _, r := range strings.Split(s, ",") {
		if u, err := url.Parse(strings.TrimSpace(r)); err == nil {
			out = append(out, u)
		}
	}
	return out
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// Start launches the server for opts and waits until it accepts clients.
func Start(opts *Options) (*Server, error) {
	tmp, err := os.MkdirTemp("", "nats-go-suite-")
	if err != nil {
		return nil, err
	}
	s := &Server{done: make(chan struct{}), tmp: tmp}
	conf := opts.ConfigFile
	if conf == "" {
		conf = filepath.Join(tmp, "server.conf")
		var b strings.Builder
		host := opts.Host
		if host == "" {
			host = "127.0.0.1"
		}
		fmt.Fprintf(&b, "host: %s\nport: %d\n", quote(host), opts.Port)
		if opts.ServerName != "" {
			fmt.Fprintf(&b, "server_name: %s\n", quote(opts.ServerName))
		}
		if opts.MaxControlLine > 0 {
			fmt.Fprintf(&b, "max_control_line: %d\n", opts.MaxControlLine)
		}
		if len(opts.Tags) > 0 {
			fmt.Fprintf(&b, "server_tags: [%s]\n", strings.Join(opts.Tags, ", "))
		}
		if opts.JetStream {
			if opts.StoreDir == "" {
				opts.StoreDir = filepath.Join(tmp, "js")
			}
			fmt.Fprintf(&b, "jetstream { store_dir: %s }\n", quote(opts.StoreDir))
		}
		if opts.Cluster.Name != "" || opts.Cluster.Port != 0 {
			fmt.Fprintf(&b, "cluster { name: %s, host: %s, port: %d", quote(opts.Cluster.Name), quote(opts.Cluster.Host), opts.Cluster.Port)
			if len(opts.Routes) > 0 {
				var rs []string
				for _, r := range opts.Routes {
					rs = append(rs, quote(r.String()))
				}
				fmt.Fprintf(&b, ", routes: [%s]", strings.Join(rs, ", "))
			}
			b.WriteString(" }\n")
		}
		if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
			return nil, err
		}
	}
	s.storeDir = opts.StoreDir
	argv := strings.Fields(os.Getenv("NATS_SUITE_SERVER"))
	if len(argv) == 0 {
		argv = []string{"nats-server"}
	}
	argv = append(argv, "-c", conf, "--ports_file_dir", tmp)
	s.cmd = exec.Command(argv[0], argv[1:]...)
	// Each server gets its own temporary directory, so a config without a store_dir gets a
	// default store (under TMPDIR) that no other server shares.
	s.cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stderr strings.Builder
	s.cmd.Stderr = &stderr
	if os.Getenv("NATS_SUITE_LOG") != "" {
		log, _ := os.OpenFile(os.Getenv("NATS_SUITE_LOG"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		s.cmd.Stdout, s.cmd.Stderr = log, log
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	ports := filepath.Join(tmp, fmt.Sprintf("%s_%d.ports", filepath.Base(argv[0]), s.cmd.Process.Pid))
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("server exited at start: %v: %s", s.cmd.ProcessState, stderr.String())
		default:
		}
		if s.url == "" {
			s.url = readClientURL(tmp, ports)
		}
		if s.url != "" {
			u, _ := url.Parse(s.url)
			if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
				c.Close()
				return s, nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Shutdown()
	return nil, fmt.Errorf("server did not accept clients within 10s")
}

// readClientURL reads the client URL from the ports file (its name depends on the executable,
// so any *.ports file in the server's own directory will do).
func readClientURL(dir, want string) string {
	f, err := os.Open(want)
	if err != nil {
		m, _ := filepath.Glob(filepath.Join(dir, "*.ports"))
		if len(m) == 0 {
			return ""
		}
		if f, err = os.Open(m[0]); err != nil {
			return ""
		}
	}
	defer f.Close()
	var p struct {
		Nats []string `json:"nats"`
	}
	if err := json.NewDecoder(bufio.NewReader(f)).Decode(&p); err != nil || len(p.Nats) == 0 {
		return ""
	}
	return p.Nats[0]
}

// ClientURL is the URL clients connect to.
func (s *Server) ClientURL() string { return s.url }

// Addr is the client listener's address.
func (s *Server) Addr() net.Addr {
	u, _ := url.Parse(s.url)
	a, _ := net.ResolveTCPAddr("tcp", u.Host)
	return a
}

// JetStreamConfig reports the store directory, or nil when JetStream is off.
func (s *Server) JetStreamConfig() *JetStreamConfig {
	if s.storeDir == "" {
		return nil
	}
	return &JetStreamConfig{StoreDir: s.storeDir}
}

// Shutdown stops the server as a signal would (SIGTERM) and waits for the process to exit.
func (s *Server) Shutdown() {
	select {
	case <-s.done:
	default:
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(filepath.Join(s.tmp, "server.conf"))
}

// WaitForShutdown waits until the process has exited.
func (s *Server) WaitForShutdown() { <-s.done }
