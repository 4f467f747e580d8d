package bots

import (
	"fmt"
	"strings"

	"github.com/relaydesk/relaydesk/core"
)

// Languages are those every customer-facing text is translated into;
// English, the first, is the fallback.
var Languages = []string{"en", "de", "fr", "es"}

// Lang returns the supported language for a language tag such as a
// Telegram user's language_code ("de", "de-CH", "pt-br"): English when there
// is no translation.
func Lang(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	base, _, _ = strings.Cut(base, "_")
	for _, l := range Languages {
		if l == base {
			return l
		}
	}
	return "en"
}

// Catalog holds translated texts: key, then language, then a fmt format.
type Catalog map[string]map[string]string

// Text formats the text key in lang, falling back to English. A key the
// catalog lacks is a programming error and shows as the key itself.
func (c Catalog) Text(lang, key string, args ...any) string {
	t, ok := c[key][Lang(lang)]
	if !ok {
		if t, ok = c[key]["en"]; !ok {
			return key
		}
	}
	return fmt.Sprintf(t, args...)
}

// notices are the sentences of the events customers are told of.
var notices = Catalog{
	"joined": {
		"en": "%s joined the chat.",
		"de": "%s ist dem Chat beigetreten.",
		"fr": "%s a rejoint la conversation.",
		"es": "%s se ha unido al chat.",
	},
	"left": {
		"en": "%s left the chat.",
		"de": "%s hat den Chat verlassen.",
		"fr": "%s a quitté la conversation.",
		"es": "%s ha salido del chat.",
	},
	"ended": {
		"en": "The chat has ended. Your request #%d stays open until it is closed.",
		"de": "Der Chat wurde beendet. Ihre Anfrage #%d bleibt offen, bis sie abgeschlossen wird.",
		"fr": "La conversation est terminée. Votre demande n° %d reste ouverte jusqu'à sa clôture.",
		"es": "El chat ha terminado. Su solicitud n.º %d sigue abierta hasta que se cierre.",
	},
	"closed": {
		"en": "Request #%d is closed. Write again any time to open a new request.",
		"de": "Anfrage #%d ist abgeschlossen. Schreiben Sie jederzeit wieder, um eine neue Anfrage zu eröffnen.",
		"fr": "La demande n° %d est clôturée. Écrivez-nous à tout moment pour ouvrir une nouvelle demande.",
		"es": "La solicitud n.º %d está cerrada. Escriba de nuevo cuando quiera para abrir una nueva solicitud.",
	},
	"transferred": {
		"en": "%s is now taking care of your request.",
		"de": "%s kümmert sich jetzt um Ihre Anfrage.",
		"fr": "%s s'occupe désormais de votre demande.",
		"es": "%s se ocupa ahora de su solicitud.",
	},
	"unassigned": {
		"en": "Your request is back in the queue: the next available technician will answer you here.",
		"de": "Ihre Anfrage ist wieder in der Warteschlange: Der nächste freie Techniker antwortet Ihnen hier.",
		"fr": "Votre demande est de retour dans la file d'attente : le prochain technicien disponible vous répondra ici.",
		"es": "Su solicitud vuelve a la cola: el próximo técnico disponible le responderá aquí.",
	},
	"screenshare": {
		"en": "%s asks to see your screen. Screen sharing works from a desktop computer only: open the link in a browser on your computer.",
		"de": "%s möchte Ihren Bildschirm sehen. Die Bildschirmfreigabe funktioniert nur am Computer: Öffnen Sie den Link dort im Browser.",
		"fr": "%s demande à voir votre écran. Le partage d'écran ne fonctionne que depuis un ordinateur : ouvrez le lien dans un navigateur sur votre ordinateur.",
		"es": "%s pide ver su pantalla. Compartir la pantalla solo funciona desde un ordenador: abra el enlace en un navegador de su ordenador.",
	},
	"call": {
		"en": "%s is calling you. Calls take place in a web browser: open the link to answer.",
		"de": "%s ruft Sie an. Anrufe finden im Browser statt: Öffnen Sie den Link, um anzunehmen.",
		"fr": "%s vous appelle. Les appels ont lieu dans un navigateur : ouvrez le lien pour répondre.",
		"es": "%s le está llamando. Las llamadas se hacen en un navegador: abra el enlace para contestar.",
	},
	"sysinfo": {
		"en": "%s asks for details of your device: which operating system and version you use. Please answer here.",
		"de": "%s bittet um Angaben zu Ihrem Gerät: welches Betriebssystem in welcher Version Sie verwenden. Bitte antworten Sie hier.",
		"fr": "%s demande des informations sur votre appareil : quel système d'exploitation et quelle version vous utilisez. Merci de répondre ici.",
		"es": "%s pide datos de su dispositivo: qué sistema operativo y qué versión usa. Por favor, responda aquí.",
	},
	"someone": {
		"en": "A technician",
		"de": "Ein Techniker",
		"fr": "Un technicien",
		"es": "Un técnico",
	},
}

// Notice returns the sentence a customer reads, in lang, for an event that
// is not a chat line, and false for the events customers are not told of
// (notes, assignment, their own opening) and for chat lines, which each
// adapter renders in its own way. Call it only for events the customer may
// see (core.Event.VisibleToCustomer).
func Notice(ev core.Event, lang string) (string, bool) {
	d := ev.Data
	who := d.ActorName
	if who == "" {
		who = notices.Text(lang, "someone")
	}
	switch ev.Type {
	case core.EventJoined:
		return notices.Text(lang, "joined", who), true
	case core.EventInvited:
		return notices.Text(lang, "joined", d.TechnicianName), true
	case core.EventCustomerJoined:
		return notices.Text(lang, "joined", who), true
	case core.EventCustomerLeft, core.EventTechnicianLeft:
		return notices.Text(lang, "left", who), true
	case core.EventEnded:
		return notices.Text(lang, "ended", d.Number), true
	case core.EventClosed:
		return notices.Text(lang, "closed", d.Number), true
	case core.EventTransferred:
		return notices.Text(lang, "transferred", d.OwnerName), true
	case core.EventUnassigned:
		return notices.Text(lang, "unassigned"), true
	case core.EventScreenShareAsked:
		return notices.Text(lang, "screenshare", who), true
	case core.EventCallStarted:
		return notices.Text(lang, "call", who), true
	case core.EventSystemInfoAsked:
		return notices.Text(lang, "sysinfo", who), true
	}
	return "", false
}

// Line returns how a chat line (a message or a file) of someone else reads
// for a customer: the author's name, then the text.
func Line(ev core.Event) string {
	who := ev.Data.ActorName
	if who == "" {
		return ev.Data.Body
	}
	return who + ": " + ev.Data.Body
}
