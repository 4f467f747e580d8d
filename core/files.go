package core

import (
	"path"
	"slices"
	"strings"
	"unicode"

	"github.com/gabriel-vasile/mimetype"
)

// FilePolicy is what a company accepts. Customers on iOS may send images only,
// as the seed manual says.
type FilePolicy struct {
	AllowedExts []string
	MaxBytes    int64
	ImagesOnly  bool
}

// Policy returns the company's file policy.
func (c Company) Policy() FilePolicy {
	p := FilePolicy{AllowedExts: slices.Clone(c.AllowedExts), MaxBytes: c.MaxFileBytes}
	if len(p.AllowedExts) == 0 {
		p.AllowedExts = DefaultAllowedExts()
	}
	if p.MaxBytes <= 0 {
		p.MaxBytes = DefaultMaxFileBytes
	}
	return p
}

// SniffLen is how many leading bytes CheckContent needs to see.
const SniffLen = 3072

// kind is what an allowlisted extension may contain: the MIME types the
// sniffer may report for it (or for an ancestor of what it reports), and the
// Content-Type relaydesk serves it with.
type kind struct {
	accepts []string
	serveAs string
	image   bool
}

const (
	ooxmlWord  = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	ooxmlExcel = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ooxmlPpt   = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	ooxmlPps   = "application/vnd.openxmlformats-officedocument.presentationml.slideshow"
	ole        = "application/x-ole-storage"
	textPlain  = "text/plain; charset=utf-8"
)

// kindOf maps every extension relaydesk knows to what its content must be.
// OOXML and OpenDocument files are zip archives underneath, and old Office
// files OLE containers: the sniffer is not always able to tell them apart
// further, so the container type is accepted too.
func kindOf(ext string) (kind, bool) {
	switch ext {
	case ".jpg", ".jpeg":
		return kind{[]string{"image/jpeg"}, "image/jpeg", true}, true
	case ".png":
		return kind{[]string{"image/png"}, "image/png", true}, true
	case ".gif":
		return kind{[]string{"image/gif"}, "image/gif", true}, true
	case ".bmp":
		return kind{[]string{"image/bmp"}, "image/bmp", true}, true
	case ".tif", ".tiff":
		return kind{[]string{"image/tiff"}, "image/tiff", true}, true
	case ".webp":
		return kind{[]string{"image/webp"}, "image/webp", true}, true
	case ".pdf":
		return kind{[]string{"application/pdf"}, "application/pdf", false}, true
	case ".doc":
		return kind{[]string{"application/msword", ole}, "application/msword", false}, true
	case ".xls":
		return kind{[]string{"application/vnd.ms-excel", ole}, "application/vnd.ms-excel", false}, true
	case ".ppt", ".pps":
		return kind{[]string{"application/vnd.ms-powerpoint", ole}, "application/vnd.ms-powerpoint", false}, true
	case ".docx":
		return kind{[]string{ooxmlWord, "application/zip"}, ooxmlWord, false}, true
	case ".xlsx":
		return kind{[]string{ooxmlExcel, "application/zip"}, ooxmlExcel, false}, true
	case ".pptx":
		return kind{[]string{ooxmlPpt, "application/zip"}, ooxmlPpt, false}, true
	case ".ppsx":
		return kind{[]string{ooxmlPps, ooxmlPpt, "application/zip"}, ooxmlPps, false}, true
	case ".odt":
		return kind{[]string{"application/vnd.oasis.opendocument.text", "application/zip"}, "application/vnd.oasis.opendocument.text", false}, true
	case ".zip":
		return kind{[]string{"application/zip"}, "application/zip", false}, true
	case ".rar":
		return kind{[]string{"application/x-rar-compressed"}, "application/vnd.rar", false}, true
	case ".txt", ".log", ".cfg", ".csv":
		return kind{[]string{"text/plain"}, textPlain, false}, true
	}
	return kind{}, false
}

// CheckName validates a file name against the policy and returns the clean
// name to store and show.
func (p FilePolicy) CheckName(name string) (string, error) {
	clean := CleanFileName(name)
	ext := strings.ToLower(path.Ext(clean))
	if ext == "" {
		return "", Errorf(CodeUnsupported, "%q has no file extension; allowed types are %s", clean, strings.Join(p.AllowedExts, " "))
	}
	if !slices.Contains(p.AllowedExts, ext) {
		return "", Errorf(CodeUnsupported, "%s files are not accepted; allowed types are %s", ext, strings.Join(p.AllowedExts, " "))
	}
	k, known := kindOf(ext)
	if !known {
		return "", Errorf(CodeUnsupported, "%s files cannot be checked by relaydesk, so they are not accepted", ext)
	}
	if p.ImagesOnly && !k.image {
		return "", Errorf(CodeUnsupported, "from this device only images can be sent")
	}
	return clean, nil
}

// CheckContent sniffs the first bytes of a file named name (already passed
// through CheckName) and returns the Content-Type to serve it with, or an
// error if the content is not what the extension says.
func CheckContent(name string, head []byte) (string, error) {
	ext := strings.ToLower(path.Ext(name))
	k, ok := kindOf(ext)
	if !ok {
		return "", Errorf(CodeUnsupported, "%s files are not accepted", ext)
	}
	for m := mimetype.Detect(head); m != nil; m = m.Parent() {
		if slices.ContainsFunc(k.accepts, m.Is) {
			return k.serveAs, nil
		}
	}
	return "", Errorf(CodeUnsupported, "the content of %q is not a %s file", name, ext)
}

// CleanFileName reduces a client-supplied name to a safe base name: no
// directories, no control or reserved characters, at most 120 characters.
func CleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		// Format characters (right-to-left overrides, zero-width spaces)
		// would let "invoice\u202Efdp.zip" pass for a PDF.
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == unicode.ReplacementChar, strings.ContainsRune(`<>:"|?*;`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	ext := path.Ext(name)
	if len(ext) > 10 {
		ext = ""
	}
	base := strings.TrimSuffix(name, ext)
	if r := []rune(base); len(r) > 110 {
		base = string(r[:110])
	}
	if strings.TrimSpace(base) == "" {
		base = "file"
	}
	return base + strings.ToLower(ext)
}
