package core_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/relaydesk/relaydesk/core"
)

// The fixtures in testdata/files are small real files written once by
// testdata/files/generate.go; some carry a name that lies about their content.

const (
	typeWord = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	typeText = "text/plain; charset=utf-8"
)

// fixtureHead returns the first core.SniffLen bytes of a fixture, as an
// upload handler would hand them to CheckContent.
func fixtureHead(tb testing.TB, fixture string) []byte {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "files", fixture))
	if err != nil {
		tb.Fatalf("open fixture: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, core.SniffLen))
	if err != nil {
		tb.Fatalf("read fixture %s: %v", fixture, err)
	}
	return b
}

// checkFile runs both checks the way an upload does: the name first, then the
// content under the cleaned name.
func checkFile(p core.FilePolicy, name string, head []byte) (clean, contentType string, err error) {
	clean, err = p.CheckName(name)
	if err != nil {
		return "", "", err
	}
	contentType, err = core.CheckContent(clean, head)
	return clean, contentType, err
}

func wantUnsupported(tb testing.TB, what string, err error) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("%s: accepted, want %s", what, core.CodeUnsupported)
	}
	if code := core.ErrorCode(err); code != core.CodeUnsupported {
		tb.Fatalf("%s: err = %v (code %s), want %s", what, err, code, core.CodeUnsupported)
	}
	if !errors.Is(err, core.ErrUnsupported) {
		tb.Errorf("%s: errors.Is(err, ErrUnsupported) = false", what)
	}
	if core.ErrorMessage(err) == "" {
		tb.Errorf("%s: refusal has no message for the user", what)
	}
}

func TestFilePolicyAcceptsAllowedFiles(t *testing.T) {
	defaults := core.Company{}.Policy()
	imagesOnly := defaults
	imagesOnly.ImagesOnly = true

	tests := []struct {
		name     string
		fixture  string
		sentAs   string
		policy   core.FilePolicy
		wantName string
		wantType string
	}{
		{"png", "photo.png", "photo.png", defaults, "photo.png", "image/png"},
		{"jpeg", "photo.jpg", "photo.jpg", defaults, "photo.jpg", "image/jpeg"},
		{"jpeg with .jpeg", "photo.jpg", "photo.jpeg", defaults, "photo.jpeg", "image/jpeg"},
		{"upper-case extension", "photo.jpg", "Holiday.JPG", defaults, "Holiday.jpg", "image/jpeg"},
		{"gif", "photo.gif", "photo.gif", defaults, "photo.gif", "image/gif"},
		{"pdf", "report.pdf", "report.pdf", defaults, "report.pdf", "application/pdf"},
		{"docx", "letter.docx", "letter.docx", defaults, "letter.docx", typeWord},
		{"zip", "bundle.zip", "bundle.zip", defaults, "bundle.zip", "application/zip"},
		{"text", "notes.txt", "notes.txt", defaults, "notes.txt", typeText},
		{"log is text", "notes.txt", "printer.log", defaults, "printer.log", typeText},
		// HTML is text; under a .txt name it is served as text/plain, so a
		// browser shows its source instead of running it.
		{"html sent as text is served as text", "page.html", "page.txt", defaults, "page.txt", typeText},
		{"name with directories", "photo.png", `C:\Users\ann\Desktop\photo.png`, defaults, "photo.png", "image/png"},
		{"images-only accepts png", "photo.png", "photo.png", imagesOnly, "photo.png", "image/png"},
		{"images-only accepts jpeg", "photo.jpg", "IMG_0001.JPG", imagesOnly, "IMG_0001.jpg", "image/jpeg"},
		{"company allowing pdf only", "report.pdf", "report.pdf", core.FilePolicy{AllowedExts: []string{".pdf"}}, "report.pdf", "application/pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clean, contentType, err := checkFile(tt.policy, tt.sentAs, fixtureHead(t, tt.fixture))
			if err != nil {
				t.Fatalf("%s sent as %q: %v", tt.fixture, tt.sentAs, err)
			}
			if clean != tt.wantName {
				t.Errorf("name = %q, want %q", clean, tt.wantName)
			}
			if contentType != tt.wantType {
				t.Errorf("content type = %q, want %q", contentType, tt.wantType)
			}
		})
	}
}

func TestFilePolicyRefusesName(t *testing.T) {
	defaults := core.Company{}.Policy()
	imagesOnly := defaults
	imagesOnly.ImagesOnly = true

	tests := []struct {
		name   string
		policy core.FilePolicy
		sentAs string
	}{
		{"exe", defaults, "setup.exe"},
		{"shell script", defaults, "install.sh"},
		{"svg", defaults, "drawing.svg"},
		{"html", defaults, "page.html"},
		{"no extension", defaults, "README"},
		{"only a dot file", defaults, ".bashrc"},
		{"double extension ending in exe", defaults, "invoice.pdf.exe"},
		{"trailing dot", defaults, "report.pdf."},
		{"extension hidden behind a nul", defaults, "photo.png\x00.exe"},
		{"tar.gz", defaults, "logs.tar.gz"},
		{"images-only refuses pdf", imagesOnly, "report.pdf"},
		{"images-only refuses docx", imagesOnly, "letter.docx"},
		{"company allowing pdf only refuses png", core.FilePolicy{AllowedExts: []string{".pdf"}}, "photo.png"},
		// An extension put on the list by hand that relaydesk cannot sniff.
		{"allowed but uncheckable", core.FilePolicy{AllowedExts: []string{".exe"}}, "setup.exe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clean, err := tt.policy.CheckName(tt.sentAs)
			wantUnsupported(t, "CheckName("+strconv.Quote(tt.sentAs)+")", err)
			if clean != "" {
				t.Errorf("refused name returned %q, want empty", clean)
			}
		})
	}
}

func TestFileContentRefusesLyingNames(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		sentAs  string
	}{
		{"png named pdf", "screenshot.pdf", "screenshot.pdf"},
		{"exe named txt", "program.txt", "program.txt"},
		{"exe named zip", "program.txt", "program.zip"},
		{"png named jpeg", "photo.png", "photo.jpg"},
		{"svg named png", "drawing.svg", "drawing.png"},
		{"html named pdf", "page.html", "page.pdf"},
		{"text named docx", "notes.txt", "notes.docx"},
		{"pdf named docx", "report.pdf", "report.docx"},
		{"zip named pdf", "bundle.zip", "bundle.pdf"},
		{"docx named txt", "letter.docx", "letter.txt"},
	}
	defaults := core.Company{}.Policy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, contentType, err := checkFile(defaults, tt.sentAs, fixtureHead(t, tt.fixture))
			wantUnsupported(t, tt.fixture+" sent as "+tt.sentAs, err)
			if contentType != "" {
				t.Errorf("refused content returned type %q, want empty", contentType)
			}
		})
	}

	t.Run("empty file named png", func(t *testing.T) {
		_, err := core.CheckContent("photo.png", nil)
		wantUnsupported(t, "empty photo.png", err)
	})
	t.Run("extension relaydesk does not know", func(t *testing.T) {
		_, err := core.CheckContent("setup.exe", fixtureHead(t, "program.txt"))
		wantUnsupported(t, "setup.exe", err)
	})
}

func TestCleanFileName(t *testing.T) {
	long := strings.Repeat("a", 300)
	longRunes := strings.Repeat("é", 300)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "photo.png", "photo.png"},
		{"path traversal", "../../x.png", "x.png"},
		{"absolute unix path", "/etc/passwd", "passwd"},
		{"windows path", `C:\a\b.png`, "b.png"},
		{"windows traversal", `..\..\x.png`, "x.png"},
		{"mixed separators", `a/b\c/d.pdf`, "d.pdf"},
		{"trailing separator", "dir/", "file"},
		{"control characters", "re\x00po\nrt\t.pdf", "re_po_rt_.pdf"},
		{"escape sequence", "\x1b[31mred.png", "_[31mred.png"},
		{"delete and C1 control", "a\x7fb\u0085c.png", "a_b_c.png"},
		{"reserved characters", `a<b>c:d"e|f?g*h;.png`, "a_b_c_d_e_f_g_h_.png"},
		{"invalid utf-8", "\xffname.png", "_name.png"},
		{"alternate data stream", "x.png:Zone.Identifier", "x.png_Zone.Identifier"},
		{"leading dots", "...hidden.png", "hidden.png"},
		{"surrounding spaces", "  my photo.png  ", "my photo.png"},
		{"extension lower-cased", "Report.PDF", "Report.pdf"},
		{"unicode kept", "résumé 履歴書.pdf", "résumé 履歴書.pdf"},
		{"empty", "", "file"},
		{"only dots", "..", "file"},
		{"only spaces", "   ", "file"},
		{"very long name keeps extension", long + ".png", long[:110] + ".png"},
		{"very long multibyte name keeps extension", longRunes + ".pdf", strings.Repeat("é", 110) + ".pdf"},
		{"over-long extension is not an extension", "x." + long, "x." + long[:108]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := core.CleanFileName(tt.in)
			if got != tt.want {
				t.Errorf("CleanFileName(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > 120 {
				t.Errorf("CleanFileName(%q) is %d characters, want at most 120", tt.in, n)
			}
			if !utf8.ValidString(got) {
				t.Errorf("CleanFileName(%q) = %q is not valid UTF-8", tt.in, got)
			}
			if strings.ContainsAny(got, `/\`) || got == "" || got[0] == '.' {
				t.Errorf("CleanFileName(%q) = %q is not a safe base name", tt.in, got)
			}
			if again := core.CleanFileName(got); again != got {
				t.Errorf("CleanFileName is not idempotent: %q, then %q", got, again)
			}
		})
	}
}

// Invisible formatting characters (Unicode category Cf) are control
// characters too: a right-to-left override makes "invoice\u202Efdp.zip"
// display as "invoicepiz.pdf", so a technician would open an archive
// believing it a PDF.
func TestCleanFileNameReplacesFormatCharacters(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"right-to-left override", "invoice\u202Efdp.zip", "invoice_fdp.zip"},
		{"right-to-left isolate", "photo\u2067gnp.txt", "photo_gnp.txt"},
		{"zero-width space", "pho\u200Bto.png", "pho_to.png"},
		{"byte order mark", "\uFEFFreport.pdf", "_report.pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := core.CleanFileName(tt.in); got != tt.want {
				t.Errorf("CleanFileName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCompanyPolicy(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		p := core.Company{}.Policy()
		if !slices.Equal(p.AllowedExts, core.DefaultAllowedExts()) {
			t.Errorf("AllowedExts = %v, want the default %v", p.AllowedExts, core.DefaultAllowedExts())
		}
		if p.MaxBytes != 25<<20 {
			t.Errorf("MaxBytes = %d, want 25 MB (%d)", p.MaxBytes, 25<<20)
		}
		if p.ImagesOnly {
			t.Error("ImagesOnly is on by default")
		}
	})
	t.Run("negative size falls back to default", func(t *testing.T) {
		p := core.Company{MaxFileBytes: -1}.Policy()
		if p.MaxBytes != core.DefaultMaxFileBytes {
			t.Errorf("MaxBytes = %d, want %d", p.MaxBytes, core.DefaultMaxFileBytes)
		}
	})
	t.Run("company settings kept", func(t *testing.T) {
		p := core.Company{AllowedExts: []string{".pdf", ".png"}, MaxFileBytes: 1 << 20}.Policy()
		if !slices.Equal(p.AllowedExts, []string{".pdf", ".png"}) || p.MaxBytes != 1<<20 {
			t.Errorf("Policy() = %+v, want the company's own list and 1 MB", p)
		}
	})
	// Every extension on the default list must also be one CheckContent
	// knows, or a default company would advertise types it then refuses.
	t.Run("every default extension is checkable", func(t *testing.T) {
		p := core.Company{}.Policy()
		for _, ext := range p.AllowedExts {
			if _, err := p.CheckName("x" + ext); err != nil {
				t.Errorf("default policy refuses %s: %v", ext, err)
			}
		}
	})
	t.Run("DefaultAllowedExts returns a copy", func(t *testing.T) {
		a := core.DefaultAllowedExts()
		a[0] = ".exe"
		if slices.Contains(core.DefaultAllowedExts(), ".exe") {
			t.Error("changing the returned slice changed the default list")
		}
	})
}
