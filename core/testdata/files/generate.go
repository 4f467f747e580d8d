//go:build ignore

// generate writes the file-validation fixtures next to itself. They are
// committed; run it again only to change them:
//
//	cd core/testdata/files && go run generate.go
//
// Everything it writes is deterministic (fixed zip timestamps, no random
// data), so rerunning it leaves an unchanged tree.
package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"log"
	"os"
	"strings"
	"time"
)

func main() {
	pngBytes := encode(func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	files := map[string][]byte{
		"photo.png":   pngBytes,
		"photo.jpg":   encode(func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, &jpeg.Options{Quality: 80}) }),
		"photo.gif":   encode(func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }),
		"report.pdf":  pdf(),
		"letter.docx": zipOf(docxEntries),
		"bundle.zip":  zipOf([][2]string{{"readme.txt", "logs from the customer's laptop\n"}}),
		"notes.txt":   []byte("Printer on floor 2 says \"PC LOAD LETTER\".\nTried turning it off and on.\n"),
		// A PNG sent under a name that claims it is a PDF.
		"screenshot.pdf": pngBytes,
		// A Windows executable renamed to look harmless.
		"program.txt": exe(),
		"page.html":   []byte("<!DOCTYPE html>\n<html><head><title>hi</title></head><body><script>alert(1)</script></body></html>\n"),
		"drawing.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>` + "\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// encode draws a small 8x8 gradient and encodes it with enc.
func encode(enc func(*bytes.Buffer, image.Image) error) []byte {
	m := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		for x := range 8 {
			m.Set(x, y, color.RGBA{uint8(x * 32), uint8(y * 32), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := enc(&b, m); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// pdf builds a minimal one-page PDF with a correct cross-reference table.
func pdf() []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

var docxEntries = [][2]string{
	{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`},
	{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`},
	{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>Hello from a customer.</w:t></w:r></w:p></w:body>
</w:document>`},
}

// zipOf writes entries in order with a fixed timestamp, so the bytes never change.
func zipOf(entries [][2]string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		f, err := w.CreateHeader(&zip.FileHeader{
			Name:     e[0],
			Method:   zip.Deflate,
			Modified: time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC),
		})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := f.Write([]byte(e[1])); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// exe is the start of a PE file: the DOS header with e_lfanew pointing at a
// "PE\0\0" signature and an x86-64 COFF machine field. Enough for sniffers;
// it does not run.
func exe() []byte {
	b := make([]byte, 0x100)
	copy(b, "MZ")
	b[0x3c] = 0x80 // e_lfanew
	copy(b[0x40:], "This program cannot be run in DOS mode.\r\r\n$")
	copy(b[0x80:], "PE\x00\x00")
	b[0x84], b[0x85] = 0x64, 0x86 // IMAGE_FILE_MACHINE_AMD64
	return append(b, []byte(strings.Repeat("\x00", 64))...)
}
