package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// widgetUpload sends a file through the widget API as the customer whose
// token it is and returns the file's ID.
func widgetUpload(t *testing.T, base, token, name string, content []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/api/widget/files", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload through %s: %d %s", base, res.StatusCode, out)
	}
	var up struct {
		File struct{ ID string } `json:"file"`
	}
	if err := json.Unmarshal(out, &up); err != nil || up.File.ID == "" {
		t.Fatalf("upload answer %s: %v", out, err)
	}
	return up.File.ID
}

// widgetDownload fetches a file through the widget API.
func widgetDownload(t *testing.T, base, token, id string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/widget/files/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// widgetOpen opens a request at the company with the portal key through
// the widget API and returns the customer's token.
func widgetOpen(t *testing.T, base, key string) string {
	t.Helper()
	in, _ := json.Marshal(map[string]string{"key": key, "email": "tess@example.com", "name": "Tess", "message": "the printer"})
	res, err := http.Post(base+"/api/widget/requests", "application/json", bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	var v struct {
		Token string `json:"token"`
	}
	if res.StatusCode != http.StatusCreated || json.Unmarshal(out, &v) != nil || v.Token == "" {
		t.Fatalf("open a request through %s: %d %s", base, res.StatusCode, out)
	}
	return v.Token
}

// createCompany creates Acme through the CLI and returns its portal key.
func createCompany(t *testing.T, p *program) string {
	t.Helper()
	if code, _, errs := p.run("", "admin", "company", "create", "--name", "Acme", "--slug", "acme"); code != 0 {
		t.Fatalf("create company: exit %d\n%s", code, errs)
	}
	code, out, errs := p.run("", "admin", "company", "key", "acme")
	if code != 0 {
		t.Fatalf("company key: exit %d\n%s", code, errs)
	}
	for _, line := range strings.Split(out, "\n") {
		if k, ok := strings.CutPrefix(line, "portal key: "); ok {
			return strings.TrimSpace(k)
		}
	}
	t.Fatalf("no portal key in:\n%s", out)
	return ""
}

// TestFilesAcrossProcesses: two relaydesk processes on two machines (two
// data directories) sharing one PostgreSQL: a file uploaded through one
// downloads through the other, since both keep files in the database.
func TestFilesAcrossProcesses(t *testing.T) {
	t.Parallel()
	dbURL := storetest.MigratedPostgresURL(t)
	one, two := newProgram(t, dbURL), newProgram(t, dbURL)
	for _, p := range []*program{one, two} {
		p.env["HTTP_ADDR"] = "127.0.0.1:0"
	}
	key := createCompany(t, one)
	a, b := one.serve(), two.serve()
	token := widgetOpen(t, a.base, key)
	content := append([]byte("error log\n"), bytes.Repeat([]byte("line of a long log file\n"), 40_000)...) // several chunks
	id := widgetUpload(t, a.base, token, "printer.log", content)

	code, got := widgetDownload(t, b.base, token, id)
	if code != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("the other process served %d and %d bytes, want 200 and the %d uploaded", code, len(got), len(content))
	}
	for _, p := range []*program{one, two} {
		if _, err := os.Stat(filepath.Join(p.env["DATA_DIR"], "files")); !os.IsNotExist(err) {
			t.Errorf("a process kept files on its own disk: %v", err)
		}
	}
	if !strings.Contains(a.log.String(), "files=\"the PostgreSQL database\"") {
		t.Errorf("serve does not say where files are kept:\n%s", a.log.String())
	}
}
