package sfu

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Matroska/WebM element IDs used here (https://www.matroska.org/technical/elements.html).
const (
	idEBML               = 0x1A45DFA3
	idEBMLVersion        = 0x4286
	idEBMLReadVersion    = 0x42F7
	idEBMLMaxIDLength    = 0x42F2
	idEBMLMaxSizeLength  = 0x42F3
	idDocType            = 0x4282
	idDocTypeVersion     = 0x4287
	idDocTypeReadVersion = 0x4285
	idSegment            = 0x18538067
	idInfo               = 0x1549A966
	idTimecodeScale      = 0x2AD7B1
	idMuxingApp          = 0x4D80
	idWritingApp         = 0x5741
	idDuration           = 0x4489
	idTracks             = 0x1654AE6B
	idTrackEntry         = 0xAE
	idTrackNumber        = 0xD7
	idTrackUID           = 0x73C5
	idTrackType          = 0x83
	idCodecID            = 0x86
	idCodecPrivate       = 0x63A2
	idVideo              = 0xE0
	idPixelWidth         = 0xB0
	idPixelHeight        = 0xBA
	idAudio              = 0xE1
	idSamplingFrequency  = 0xB5
	idChannels           = 0x9F
	idCluster            = 0x1F43B675
	idTimecode           = 0xE7
	idSimpleBlock        = 0xA3
)

// webmTrack is one track of a WebM file as its header describes it.
type webmTrack struct {
	number        uint64
	video         bool
	codec         string // "V_VP8", "A_OPUS"
	width, height uint64
}

// webmWriter writes a WebM file as frames come: the header first, then
// clusters of at most a few seconds, each written whole. On an
// io.WriteSeeker, Close goes back to fill in the segment size and the
// duration; on a plain io.Writer the file stays a live-style stream (unknown
// size, no duration), which players accept too.
type webmWriter struct {
	w       io.Writer
	ws      io.WriteSeeker // nil when w cannot seek
	start   int64          // offset of the file in ws
	n       int64          // bytes written
	segData int64          // offset of the segment's data
	durAt   int64          // offset of the duration's float
	cluster []byte         // the cluster being built (its children)
	clTime  int64          // its timecode, ms
	end     int64          // the file's duration so far, ms
	err     error
}

func newWebmWriter(w io.Writer, tracks []webmTrack) (*webmWriter, error) {
	m := &webmWriter{w: w, clTime: -1}
	if ws, ok := w.(io.WriteSeeker); ok {
		if pos, err := ws.Seek(0, io.SeekCurrent); err == nil {
			m.ws, m.start = ws, pos
		}
	}
	header := ebmlElem(idEBML, cat(
		uintElem(idEBMLVersion, 1), uintElem(idEBMLReadVersion, 1),
		uintElem(idEBMLMaxIDLength, 4), uintElem(idEBMLMaxSizeLength, 8),
		ebmlElem(idDocType, []byte("webm")),
		uintElem(idDocTypeVersion, 4), uintElem(idDocTypeReadVersion, 2),
	))
	// The segment's size is "unknown" (all ones) until Close knows it.
	header = append(header, ebmlID(idSegment)...)
	header = append(header, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
	m.segData = int64(len(header))

	info := cat(uintElem(idTimecodeScale, 1_000_000), // ms
		ebmlElem(idMuxingApp, []byte("relaydesk")), ebmlElem(idWritingApp, []byte("relaydesk")))
	if m.ws != nil {
		dur := floatElem(idDuration, 0)
		infoHead := len(ebmlID(idInfo)) + len(vint(uint64(len(info)+len(dur))))
		m.durAt = m.segData + int64(infoHead+len(info)+len(dur)-8)
		info = append(info, dur...)
	}
	header = append(header, ebmlElem(idInfo, info)...)

	var entries []byte
	for _, t := range tracks {
		e := cat(uintElem(idTrackNumber, t.number), uintElem(idTrackUID, t.number),
			ebmlElem(idCodecID, []byte(t.codec)))
		if t.video {
			e = cat(e, uintElem(idTrackType, 1),
				ebmlElem(idVideo, cat(uintElem(idPixelWidth, t.width), uintElem(idPixelHeight, t.height))))
		} else {
			e = cat(e, uintElem(idTrackType, 2), ebmlElem(idCodecPrivate, opusHead()),
				ebmlElem(idAudio, cat(floatElem(idSamplingFrequency, 48000), uintElem(idChannels, 2))))
		}
		entries = append(entries, ebmlElem(idTrackEntry, e)...)
	}
	header = append(header, ebmlElem(idTracks, entries)...)
	m.write(header)
	return m, m.err
}

// opusHead is the CodecPrivate WebM wants for Opus: the Ogg identification
// header (RFC 7845 §5.1), stereo at 48 kHz as WebRTC sends it.
func opusHead() []byte {
	h := []byte("OpusHead")
	h = append(h, 1, 2)                            // version, channels
	h = binary.LittleEndian.AppendUint16(h, 312)   // pre-skip
	h = binary.LittleEndian.AppendUint32(h, 48000) // input rate
	return append(h, 0, 0, 0)                      // gain, mapping family
}

// frame adds one frame of track number at ms (from the file's start).
// A new cluster starts at a video keyframe, or when the current one would
// hold too much or span more than a block's 16-bit relative time.
func (m *webmWriter) frame(track uint64, ms int64, key, video bool, data []byte, dur int64) error {
	if m.err != nil {
		return m.err
	}
	rel := ms - m.clTime
	if m.clTime < 0 || rel < math.MinInt16 || rel > 5000 || len(m.cluster) > 8<<20 || (key && video && rel > 0) {
		m.flush()
		m.clTime, rel = ms, 0
		m.cluster = uintElem(idTimecode, uint64(ms))
	}
	block := append(vint(track), byte(uint16(int16(rel))>>8), byte(uint16(int16(rel))))
	flags := byte(0)
	if key {
		flags = 0x80
	}
	block = append(block, flags)
	m.cluster = append(m.cluster, ebmlElem(idSimpleBlock, append(block, data...))...)
	m.end = max(m.end, ms+dur)
	return m.err
}

func (m *webmWriter) flush() {
	if len(m.cluster) > 0 {
		m.write(ebmlElem(idCluster, m.cluster))
		m.cluster = nil
	}
}

// Close writes the last cluster and, where the writer can seek, the
// segment's size and the duration.
func (m *webmWriter) Close() error {
	m.flush()
	if m.err != nil || m.ws == nil {
		return m.err
	}
	size := make([]byte, 8)
	binary.BigEndian.PutUint64(size, uint64(m.n-m.segData))
	size[0] = 0x01 // an 8-byte size
	m.patch(m.segData-8, size)
	dur := make([]byte, 8)
	binary.BigEndian.PutUint64(dur, math.Float64bits(float64(m.end)))
	m.patch(m.durAt, dur)
	if m.err == nil {
		if _, err := m.ws.Seek(m.start+m.n, io.SeekStart); err != nil {
			m.err = fmt.Errorf("webm: seek to end: %w", err)
		}
	}
	return m.err
}

func (m *webmWriter) write(b []byte) {
	if m.err != nil {
		return
	}
	n, err := m.w.Write(b)
	m.n += int64(n)
	if err != nil {
		m.err = fmt.Errorf("webm: write: %w", err)
	}
}

func (m *webmWriter) patch(at int64, b []byte) {
	if m.err != nil {
		return
	}
	if _, err := m.ws.Seek(m.start+at, io.SeekStart); err != nil {
		m.err = fmt.Errorf("webm: seek: %w", err)
		return
	}
	if _, err := m.ws.Write(b); err != nil {
		m.err = fmt.Errorf("webm: write: %w", err)
	}
}

// ebmlID returns an element ID's bytes (IDs carry their own length marker).
func ebmlID(id uint32) []byte {
	switch {
	case id > 0xFFFFFF:
		return []byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}
	case id > 0xFFFF:
		return []byte{byte(id >> 16), byte(id >> 8), byte(id)}
	case id > 0xFF:
		return []byte{byte(id >> 8), byte(id)}
	}
	return []byte{byte(id)}
}

// vint encodes n as an EBML variable-size integer, in as few bytes as fit.
func vint(n uint64) []byte {
	for l := 1; l <= 8; l++ {
		if n < 1<<(7*l)-1 { // all ones is reserved for "unknown"
			b := make([]byte, l)
			for i := l - 1; i >= 0; i-- {
				b[i] = byte(n)
				n >>= 8
			}
			b[0] |= 1 << (8 - l)
			return b
		}
	}
	panic("webm: size too large")
}

func ebmlElem(id uint32, data []byte) []byte {
	return cat(ebmlID(id), vint(uint64(len(data))), data)
}

func uintElem(id uint32, v uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, v)
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return ebmlElem(id, b)
}

func floatElem(id uint32, v float64) []byte {
	return ebmlElem(id, binary.BigEndian.AppendUint64(nil, math.Float64bits(v)))
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
