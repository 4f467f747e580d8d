package main_test

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// imageUser is the numeric user the Dockerfile's final stage runs as.
const imageUser = 65532

// imageBuildFlags are the Dockerfile's `go build` flags, which
// TestContainerImage checks are still there, less its output path and
// version.
var imageBuildFlags = []string{"-trimpath", "-tags", "timetzdata", "-ldflags"}

// TestContainerImage proves the container image's premise without Docker,
// which cannot run where the tests run: relaydesk built as the Dockerfile
// builds it (static, cgo off, time zones compiled in) and started in an
// empty root holding only what the image holds (the binary, the CA bundle,
// an empty /data and /tmp), as the image's non-root user, serves /healthz
// and /readyz on SQLite in /data, answers its own `healthcheck` there,
// finds the CA bundle and a time zone, and stops cleanly on SIGTERM.
//
// The empty root is a chroot, entered from a new user namespace (which
// needs no privilege where the kernel allows unprivileged user namespaces)
// or, failing that, by root. Where neither works the test skips, saying
// why, unless RELAYDESK_REQUIRE_CHROOT is set, as CI sets it.
func TestContainerImage(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		skipOrFail(t, "an empty root needs Linux's chroot and user namespaces, not "+runtime.GOOS)
	}
	checkDockerfile(t)

	// The image's file system.
	root := t.TempDir()
	bin := filepath.Join(root, "relaydesk")
	buildStatic(t, bin)
	checkStatic(t, bin)
	// A TLS server whose certificate is in the root's CA bundle (after the
	// system's) and nowhere else: reaching it from inside proves that
	// relaydesk reads the bundle where the image puts it.
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "tls ok") }))
	t.Cleanup(tlsSrv.Close)
	bundle, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Fatalf("the CA bundle the image copies: %v", err)
	}
	bundle = append(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw})...)
	for _, dir := range []string{"etc/ssl/certs", "data", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"), bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, mode := range map[string]os.FileMode{"": 0o755, "tmp": 0o1777} {
		if err := os.Chmod(filepath.Join(root, dir), mode); err != nil {
			t.Fatal(err)
		}
	}

	// The image's environment, less what would reach outside the test:
	// a free loopback port instead of :8080. Nothing of the test's own
	// environment leaks in. Asia/Kolkata has no daylight saving time, so
	// its offset is always +05:30.
	env := []string{"HTTP_ADDR=127.0.0.1:0", "DATA_DIR=/data", "DATABASE_URL=sqlite:/data/relaydesk.db",
		"LOG_FORMAT=json", "TZ=Asia/Kolkata"}
	jail := enterRoot(t, root)

	serve := jail(env, "serve")
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatalf("start relaydesk serve in the empty root: %v", err)
	}
	exited := make(chan error, 1)
	logLines := make(chan string, 100)
	log := &syncBuffer{}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logLines <- sc.Text()
		}
		close(logLines)
		exited <- serve.Wait()
	}()
	t.Cleanup(func() { serve.Process.Kill() })

	// Its address, from the line saying it serves.
	type logLine struct {
		Time    time.Time `json:"time"`
		Msg     string    `json:"msg"`
		Addr    string    `json:"addr"`
		Version string    `json:"version"`
	}
	var serving logLine
	deadline := time.After(60 * time.Second)
	for serving.Msg != "relaydesk is serving" {
		select {
		case line, ok := <-logLines:
			if !ok {
				t.Fatalf("relaydesk serve exited in the empty root before serving: %v\n%s", <-exited, log.String())
			}
			fmt.Fprintln(log, line)
			serving = logLine{}
			if err := json.Unmarshal([]byte(line), &serving); err != nil {
				t.Fatalf("log line is not JSON: %v: %s", err, line)
			}
		case <-deadline:
			t.Fatalf("relaydesk serve did not serve within 60s in the empty root:\n%s", log.String())
		}
	}
	go func() {
		for line := range logLines {
			fmt.Fprintln(log, line)
		}
	}()
	base := "http://" + serving.Addr
	if serving.Version != "container-test" {
		t.Errorf("serve logs version %q, want the one the build stamped, container-test", serving.Version)
	}
	// Go found Asia/Kolkata with no zoneinfo in the root: compiled in.
	if _, off := serving.Time.Zone(); off != 5*3600+30*60 {
		t.Errorf("log time %s is not in TZ=Asia/Kolkata (+05:30): no time zone data in the empty root", serving.Time.Format(time.RFC3339))
	}

	for path, want := range map[string]string{"/healthz": "ok", "/readyz": `{"status":"ready"}`} {
		code, body := fetch(t, base+path)
		if code != http.StatusOK || strings.TrimSpace(body) != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, code, body, want)
		}
	}
	// The image's health check, run in the root next to the server.
	hcEnv := append([]string{"HTTP_ADDR=" + serving.Addr}, env[1:]...)
	if out, err := jail(hcEnv, "healthcheck").CombinedOutput(); err != nil {
		t.Errorf("relaydesk healthcheck in the empty root: %v\n%s", err, out)
	}
	// The CA bundle, read from /etc/ssl/certs/ca-certificates.crt in the root.
	if out, err := jail(env, "healthcheck", "--url", tlsSrv.URL+"/").CombinedOutput(); err != nil {
		t.Errorf("relaydesk in the empty root does not trust a certificate of its CA bundle: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(root, "data", "relaydesk.db")); err != nil {
		t.Errorf("the SQLite database is not in DATA_DIR: %v", err)
	}

	// docker stop sends SIGTERM.
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("relaydesk serve after SIGTERM: %v, want exit 0:\n%s", err, log.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("relaydesk serve did not stop within 30s of SIGTERM:\n%s", log.String())
	}
}

// skipOrFail skips the test for why, or fails it when CI requires it.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("RELAYDESK_REQUIRE_CHROOT") != "" {
		t.Fatalf("RELAYDESK_REQUIRE_CHROOT is set, but %s", why)
	}
	t.Skip(why)
}

// checkDockerfile fails when the Dockerfile stops building the way this
// test builds, so that the two cannot drift apart unnoticed.
func checkDockerfile(t *testing.T) {
	t.Helper()
	df, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append([]string{"CGO_ENABLED=0", "FROM scratch", fmt.Sprintf("USER %d:%[1]d", imageUser),
		"-X main.version=", "/etc/ssl/certs/ca-certificates.crt"}, imageBuildFlags...) {
		if !strings.Contains(string(df), want) {
			t.Errorf("the Dockerfile lacks %q, which this test assumes", want)
		}
	}
}

// buildStatic builds relaydesk into out as the Dockerfile does.
func buildStatic(t *testing.T, out string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		skipOrFail(t, "no go command to build the static binary with")
	}
	args := append([]string{"build", "-o", out}, imageBuildFlags...)
	args = append(args, "-s -w -X main.version=container-test", ".")
	cmd := exec.Command(goTool, args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// checkStatic fails unless bin is a static executable: no program
// interpreter (the dynamic loader) and no shared libraries to load.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatalf("%s asks for a dynamic loader: it would not start FROM scratch", bin)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("%s needs shared libraries %v: it would not start FROM scratch", bin, libs)
	}
}

// enterRoot finds how this machine can start a process in the empty root
// as the image's user, and returns a function making such commands: with
// a new user namespace, where the image's user is mapped to whoever runs
// the test, or as root with a plain chroot.
func enterRoot(t *testing.T, root string) func(env []string, args ...string) *exec.Cmd {
	t.Helper()
	mk := func(attr func() *syscall.SysProcAttr) func(env []string, args ...string) *exec.Cmd {
		return func(env []string, args ...string) *exec.Cmd {
			cmd := exec.Command("/relaydesk", args...) // its path inside the root
			cmd.Dir = "/"                              // inside the root too: chdir follows chroot
			cmd.Env = env
			cmd.SysProcAttr = attr()
			return cmd
		}
	}
	cred := &syscall.Credential{Uid: imageUser, Gid: imageUser, NoSetGroups: true}
	userns := mk(func() *syscall.SysProcAttr {
		return &syscall.SysProcAttr{
			Chroot:      root,
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: imageUser, HostID: os.Geteuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: imageUser, HostID: os.Getegid(), Size: 1}},
			Credential:  cred,
			Pdeathsig:   syscall.SIGKILL,
		}
	})
	errUserns := tryRoot(userns)
	if errUserns == nil {
		t.Logf("empty root: chroot in a new user namespace, as uid %d", imageUser)
		return userns
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, fmt.Sprintf("cannot start a process in an empty root: no user namespace (%v), and chroot needs root", errUserns))
	}
	// As root, without user namespaces: the image's user must own /data.
	if err := os.Chown(filepath.Join(root, "data"), imageUser, imageUser); err != nil {
		t.Fatal(err)
	}
	plain := mk(func() *syscall.SysProcAttr {
		return &syscall.SysProcAttr{Chroot: root, Credential: cred, Pdeathsig: syscall.SIGKILL}
	})
	if err := tryRoot(plain); err != nil {
		skipOrFail(t, fmt.Sprintf("cannot start a process in an empty root: no user namespace (%v), and chroot fails (%v)", errUserns, err))
	}
	t.Logf("empty root: chroot as root, dropping to uid %d (user namespaces: %v)", imageUser, errUserns)
	return plain
}

// tryRoot runs `relaydesk version` the way mk starts commands.
func tryRoot(mk func(env []string, args ...string) *exec.Cmd) error {
	cmd := mk(nil, "version")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	stuck := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer stuck.Stop()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(out.String()))
	}
	if first, _, _ := strings.Cut(out.String(), "\n"); strings.TrimSpace(first) != "relaydesk container-test" {
		return fmt.Errorf("relaydesk version printed %q", out.String())
	}
	return nil
}
