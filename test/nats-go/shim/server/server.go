// Package server stands in for nats-server's Go package when nats.go's own test suite runs
// against an external server: RunServer starts a child process (NATS_SUITE_SERVER, a command
// line such as "nats-server" or "node dist/cli.js") from the options the tests set, the way a
// user would start it, and the *Server the tests hold is a handle on that process.
package server

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// VERSION is the nats-server version the suite is compared with (nats.go's cluster tests check it).
const VERSION = "2.9.10"

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
	// Client authentication: a single user, a token, or a list of users with permissions.
	Username      string
	Password      string
	Authorization string
	Users         []*User
	// TLSConfig comes from GenTLSConfig, which remembers the files it was made from; the config
	// file gets a tls block with those files and TLSTimeout (seconds) when it is set.
	TLSConfig       *tls.Config
	TLSTimeout      float64
	NoHeaderSupport bool
	MaxPayload      int32
	PingInterval    time.Duration
	MaxPingsOut     int
	// fromFile is what ReadConfigFile read from ConfigFile.
	fromFile *Options
}

var (
	// Top-level (unindented) client address lines, and the authorization user.
	listenRe = regexp.MustCompile(`(?m)^listen\s*[:=]\s*([^:\s]+):(\d+)`)
	hostRe   = regexp.MustCompile(`(?m)^(?:net|host)\s*[:=]\s*["']?([^"'\s]+)`)
	portRe   = regexp.MustCompile(`(?m)^port\s*[:=]\s*(\d+)`)
	userRe   = regexp.MustCompile(`(?m)^\s+user\s*[:=]\s*["']?([^"'\s]+)`)
	passRe   = regexp.MustCompile(`(?m)^\s+password\s*[:=]\s*["']?([^"'\s]+)`)
	// The tls block's files and checks.
	certRe    = regexp.MustCompile(`(?m)^\s+cert_file\s*[:=]\s*["']?([^"'\s]+)`)
	keyRe     = regexp.MustCompile(`(?m)^\s+key_file\s*[:=]\s*["']?([^"'\s]+)`)
	caRe      = regexp.MustCompile(`(?m)^\s+ca_file\s*[:=]\s*["']?([^"'\s]+)`)
	verifyRe  = regexp.MustCompile(`(?m)^\s+verify\s*[:=]\s*true`)
	timeoutRe = regexp.MustCompile(`(?m)^\s+timeout\s*[:=]\s*([0-9.]+)`)
)

// ReadConfigFile fills the options the tests read back from opts.ConfigFile (the client address,
// the authorization user, the TLS files), as nats-server's ProcessConfigFile would. When a test
// then changes one of them and starts a server from the options, Start writes a config of its own.
func ReadConfigFile(opts *Options) {
	b, err := os.ReadFile(opts.ConfigFile)
	if err != nil {
		return
	}
	if m := listenRe.FindSubmatch(b); m != nil {
		opts.Host = string(m[1])
		opts.Port, _ = strconv.Atoi(string(m[2]))
	}
	if m := hostRe.FindSubmatch(b); m != nil {
		opts.Host = string(m[1])
	}
	if m := portRe.FindSubmatch(b); m != nil {
		opts.Port, _ = strconv.Atoi(string(m[1]))
	}
	if m := userRe.FindSubmatch(b); m != nil {
		opts.Username = string(m[1])
	}
	if m := passRe.FindSubmatch(b); m != nil {
		opts.Password = string(m[1])
	}
	if c, k := certRe.FindSubmatch(b), keyRe.FindSubmatch(b); c != nil && k != nil {
		tc := &TLSConfigOpts{CertFile: string(c[1]), KeyFile: string(k[1]), Verify: verifyRe.Match(b)}
		if m := caRe.FindSubmatch(b); m != nil {
			tc.CaFile = string(m[1])
		}
		if m := timeoutRe.FindSubmatch(b); m != nil {
			opts.TLSTimeout, _ = strconv.ParseFloat(string(m[1]), 64)
		}
		opts.TLSConfig, _ = GenTLSConfig(tc)
	}
	o := *opts
	opts.fromFile = &o
}

// User is one entry of an authorization users list.
type User struct {
	Username    string
	Password    string
	Permissions *Permissions
}

// Permissions are a user's publish and subscribe permissions.
type Permissions struct {
	Publish   *SubjectPermission
	Subscribe *SubjectPermission
}

// SubjectPermission lists the subjects allowed and denied.
type SubjectPermission struct {
	Allow []string
	Deny  []string
}

// TLSConfigOpts are the files (and checks) GenTLSConfig makes a TLS configuration from.
type TLSConfigOpts struct {
	CertFile string
	KeyFile  string
	CaFile   string
	Verify   bool
	Timeout  float64
}

// tlsFiles maps each configuration GenTLSConfig made to the options it was made from.
var tlsFiles = map[*tls.Config]*TLSConfigOpts{}

// GenTLSConfig loads the certificate (so a bad file fails here, as in nats-server) and returns a
// configuration the config file writer can turn back into a tls block.
func GenTLSConfig(tc *TLSConfigOpts) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(tc.CertFile, tc.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("error parsing X509 certificate/key pair: %v", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}}
	o := *tc
	tlsFiles[c] = &o
	return c, nil
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
	ports    ports
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

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// writeCoreOptions writes the client-facing options the core tests set (authorization, TLS,
// limits, headers) as config file lines.
func writeCoreOptions(b *strings.Builder, opts *Options) {
	switch {
	case len(opts.Users) > 0:
		b.WriteString("authorization { users: [\n")
		for _, u := range opts.Users {
			fmt.Fprintf(b, "  { user: %s, password: %s", quote(u.Username), quote(u.Password))
			if p := u.Permissions; p != nil {
				var ps []string
				for _, sp := range []struct {
					name string
					p    *SubjectPermission
				}{{"publish", p.Publish}, {"subscribe", p.Subscribe}} {
					if sp.p != nil {
						ps = append(ps, fmt.Sprintf("%s: { allow: %s, deny: %s }", sp.name, quoteAll(sp.p.Allow), quoteAll(sp.p.Deny)))
					}
				}
				fmt.Fprintf(b, ", permissions: { %s }", strings.Join(ps, ", "))
			}
			b.WriteString(" }\n")
		}
		b.WriteString("] }\n")
	case opts.Username != "":
		fmt.Fprintf(b, "authorization { user: %s, password: %s }\n", quote(opts.Username), quote(opts.Password))
	case opts.Authorization != "":
		fmt.Fprintf(b, "authorization { token: %s }\n", quote(opts.Authorization))
	}
	if tc := tlsFiles[opts.TLSConfig]; tc != nil {
		fmt.Fprintf(b, "tls { cert_file: %s, key_file: %s", quote(tc.CertFile), quote(tc.KeyFile))
		if tc.CaFile != "" {
			fmt.Fprintf(b, ", ca_file: %s", quote(tc.CaFile))
		}
		if tc.Verify {
			b.WriteString(", verify: true")
		}
		if opts.TLSTimeout > 0 {
			fmt.Fprintf(b, ", timeout: %g", opts.TLSTimeout)
		}
		b.WriteString(" }\n")
	}
	if opts.NoHeaderSupport {
		b.WriteString("no_header_support: true\n")
	}
	if opts.MaxPayload > 0 {
		fmt.Fprintf(b, "max_payload: %d\n", opts.MaxPayload)
	}
	if opts.PingInterval > 0 {
		fmt.Fprintf(b, "ping_interval: %q\n", opts.PingInterval.String())
	}
	if opts.MaxPingsOut > 0 {
		fmt.Fprintf(b, "ping_max: %d\n", opts.MaxPingsOut)
	}
}

// Start launches the server for opts and waits until it accepts clients.
func Start(opts *Options) (*Server, error) {
	tmp, err := os.MkdirTemp("", "nats-go-suite-")
	if err != nil {
		return nil, err
	}
	s := &Server{done: make(chan struct{}), tmp: tmp}
	conf := opts.ConfigFile
	if f := opts.fromFile; f != nil && (f.Host != opts.Host || f.Port != opts.Port || f.Username != opts.Username || f.Password != opts.Password) {
		conf = ""
	}
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
		writeCoreOptions(&b, opts)
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
	if os.Getenv("NATS_SUITE_MONITOR") != "" {
		// NumRoutes reads /varz: the core set asks for a monitoring listener on a random port.
		argv = append(argv, "-m", "-1")
	}
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
			s.ports = readPorts(tmp, ports)
			if len(s.ports.Nats) > 0 {
				s.url = s.ports.Nats[0]
			}
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

// ports is the ports file: the URLs of each listener.
type ports struct {
	Nats       []string `json:"nats"`
	Monitoring []string `json:"monitoring"`
	Cluster    []string `json:"cluster"`
}

// readPorts reads the ports file (its name depends on the executable, so any *.ports file in the
// server's own directory will do).
func readPorts(dir, want string) ports {
	var p ports
	f, err := os.Open(want)
	if err != nil {
		m, _ := filepath.Glob(filepath.Join(dir, "*.ports"))
		if len(m) == 0 {
			return p
		}
		if f, err = os.Open(m[0]); err != nil {
			return p
		}
	}
	defer f.Close()
	json.NewDecoder(bufio.NewReader(f)).Decode(&p)
	return p
}

// ClientURL is the URL clients connect to.
func (s *Server) ClientURL() string { return s.url }

// Addr is the client listener's address.
func (s *Server) Addr() net.Addr {
	u, _ := url.Parse(s.url)
	a, _ := net.ResolveTCPAddr("tcp", u.Host)
	return a
}

// ClusterAddr is the route listener's address (nil without one).
func (s *Server) ClusterAddr() *net.TCPAddr {
	if len(s.ports.Cluster) == 0 {
		return nil
	}
	u, _ := url.Parse(s.ports.Cluster[0])
	a, _ := net.ResolveTCPAddr("tcp", u.Host)
	return a
}

// NumRoutes is the number of routes /varz reports (the runner asks for a monitoring listener).
func (s *Server) NumRoutes() int {
	if len(s.ports.Monitoring) == 0 {
		return 0
	}
	resp, err := http.Get(s.ports.Monitoring[0] + "/varz")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var v struct {
		Routes int `json:"routes"`
	}
	json.NewDecoder(resp.Body).Decode(&v)
	return v.Routes
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
