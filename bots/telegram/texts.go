package telegram

import (
	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/bots"
)

// texts are what the bot answers customers, by language. The engine's
// refusals (a forbidden file type, a closed request) are in English only.
var texts = bots.Catalog{
	"greeting": {
		"en": "Hello %s! You are talking to %s support.\n\nWrite your question here and a technician will answer in this chat. You can send photos and documents too.\n\n/status shows your request, /leave leaves it, /help lists everything.",
		"de": "Hallo %s! Hier ist der Support von %s.\n\nSchreiben Sie Ihre Frage hier, ein Techniker antwortet Ihnen in diesem Chat. Sie können auch Fotos und Dokumente senden.\n\n/status zeigt Ihre Anfrage, /leave verlässt sie, /help zeigt alle Befehle.",
		"fr": "Bonjour %s ! Vous êtes en contact avec le support de %s.\n\nÉcrivez votre question ici, un technicien vous répondra dans cette conversation. Vous pouvez aussi envoyer des photos et des documents.\n\n/status affiche votre demande, /leave la quitte, /help liste toutes les commandes.",
		"es": "¡Hola, %s! Está hablando con el soporte de %s.\n\nEscriba aquí su pregunta y un técnico le responderá en este chat. También puede enviar fotos y documentos.\n\n/status muestra su solicitud, /leave la abandona, /help enumera todo.",
	},
	"stillOpen": {
		"en": "Your request #%d is open: write here to add to it.",
		"de": "Ihre Anfrage #%d ist offen: Schreiben Sie hier, um sie zu ergänzen.",
		"fr": "Votre demande n° %d est ouverte : écrivez ici pour la compléter.",
		"es": "Su solicitud n.º %d está abierta: escriba aquí para completarla.",
	},
	"chooseCompany": {
		"en": "This bot answers for several companies. Please open the Telegram link your company gave you to start.",
		"de": "Dieser Bot antwortet für mehrere Firmen. Bitte öffnen Sie zum Start den Telegram-Link, den Ihre Firma Ihnen gegeben hat.",
		"fr": "Ce bot répond pour plusieurs entreprises. Pour commencer, ouvrez le lien Telegram que votre entreprise vous a donné.",
		"es": "Este bot atiende a varias empresas. Para empezar, abra el enlace de Telegram que le dio su empresa.",
	},
	"opened": {
		"en": "Thank you! Your request #%d with %s is open. A technician will answer you here.",
		"de": "Danke! Ihre Anfrage #%d bei %s ist eröffnet. Ein Techniker antwortet Ihnen hier.",
		"fr": "Merci ! Votre demande n° %d auprès de %s est ouverte. Un technicien vous répondra ici.",
		"es": "¡Gracias! Su solicitud n.º %d con %s está abierta. Un técnico le responderá aquí.",
	},
	"openedAfterClosed": {
		"en": "Your request #%d was closed, so this message opens a new request: #%d. A technician will answer you here.",
		"de": "Ihre Anfrage #%d wurde abgeschlossen, daher eröffnet diese Nachricht eine neue Anfrage: #%d. Ein Techniker antwortet Ihnen hier.",
		"fr": "Votre demande n° %d a été clôturée : ce message ouvre donc une nouvelle demande, la n° %d. Un technicien vous répondra ici.",
		"es": "Su solicitud n.º %d se cerró, así que este mensaje abre una nueva: la n.º %d. Un técnico le responderá aquí.",
	},
	"openedAfterLeft": {
		"en": "You left request #%d, so this message opens a new request: #%d. A technician will answer you here.",
		"de": "Sie haben Anfrage #%d verlassen, daher eröffnet diese Nachricht eine neue Anfrage: #%d. Ein Techniker antwortet Ihnen hier.",
		"fr": "Vous avez quitté la demande n° %d : ce message ouvre donc une nouvelle demande, la n° %d. Un technicien vous répondra ici.",
		"es": "Usted abandonó la solicitud n.º %d, así que este mensaje abre una nueva: la n.º %d. Un técnico le responderá aquí.",
	},
	"joinedInvite": {
		"en": "You joined support session #%d with %s. The technician reads your messages here from now on.",
		"de": "Sie sind der Support-Sitzung #%d bei %s beigetreten. Der Techniker liest Ihre Nachrichten ab jetzt hier.",
		"fr": "Vous avez rejoint la session d'assistance n° %d de %s. Le technicien lit désormais vos messages ici.",
		"es": "Se ha unido a la sesión de soporte n.º %d de %s. A partir de ahora el técnico lee sus mensajes aquí.",
	},
	"badLink": {
		"en": "This link is not valid (any more). Ask your technician for a new one, or simply write your question here.",
		"de": "Dieser Link ist nicht (mehr) gültig. Bitten Sie Ihren Techniker um einen neuen oder schreiben Sie Ihre Frage einfach hier.",
		"fr": "Ce lien n'est pas (ou plus) valide. Demandez-en un nouveau à votre technicien, ou écrivez simplement votre question ici.",
		"es": "Este enlace no es válido (o ya no lo es). Pida uno nuevo a su técnico o simplemente escriba aquí su pregunta.",
	},
	"none": {
		"en": "You have no open request. Write your question to open one.",
		"de": "Sie haben keine offene Anfrage. Schreiben Sie Ihre Frage, um eine zu eröffnen.",
		"fr": "Vous n'avez pas de demande ouverte. Écrivez votre question pour en ouvrir une.",
		"es": "No tiene ninguna solicitud abierta. Escriba su pregunta para abrir una.",
	},
	"statusNew": {
		"en": "Request #%d with %s is waiting for a technician.",
		"de": "Anfrage #%d bei %s wartet auf einen Techniker.",
		"fr": "La demande n° %d auprès de %s attend un technicien.",
		"es": "La solicitud n.º %d con %s espera a un técnico.",
	},
	"statusAssigned": {
		"en": "Request #%d with %s: %s has taken it and will join the chat shortly.",
		"de": "Anfrage #%d bei %s: %s hat sie übernommen und kommt gleich in den Chat.",
		"fr": "Demande n° %d auprès de %s : %s l'a prise en charge et va bientôt rejoindre la conversation.",
		"es": "Solicitud n.º %d con %s: %s se ha hecho cargo y entrará en el chat en breve.",
	},
	"statusLive": {
		"en": "Request #%d with %s: %s is in the chat with you.",
		"de": "Anfrage #%d bei %s: %s ist mit Ihnen im Chat.",
		"fr": "Demande n° %d auprès de %s : %s est en conversation avec vous.",
		"es": "Solicitud n.º %d con %s: %s está en el chat con usted.",
	},
	"statusEnded": {
		"en": "Request #%d with %s: the chat has ended; the request stays open until it is closed.",
		"de": "Anfrage #%d bei %s: Der Chat ist beendet; die Anfrage bleibt offen, bis sie abgeschlossen wird.",
		"fr": "Demande n° %d auprès de %s : la conversation est terminée ; la demande reste ouverte jusqu'à sa clôture.",
		"es": "Solicitud n.º %d con %s: el chat ha terminado; la solicitud sigue abierta hasta que se cierre.",
	},
	"left": {
		"en": "You left request #%d. Your next message opens a new request.",
		"de": "Sie haben Anfrage #%d verlassen. Ihre nächste Nachricht eröffnet eine neue Anfrage.",
		"fr": "Vous avez quitté la demande n° %d. Votre prochain message ouvrira une nouvelle demande.",
		"es": "Ha abandonado la solicitud n.º %d. Su próximo mensaje abrirá una nueva solicitud.",
	},
	"newWhileOpen": {
		"en": "Request #%d is still open: write here to add to it, or send /leave first to start a new one.",
		"de": "Anfrage #%d ist noch offen: Schreiben Sie hier, um sie zu ergänzen, oder senden Sie zuerst /leave, um neu zu beginnen.",
		"fr": "La demande n° %d est encore ouverte : écrivez ici pour la compléter, ou envoyez d'abord /leave pour en commencer une nouvelle.",
		"es": "La solicitud n.º %d sigue abierta: escriba aquí para completarla, o envíe primero /leave para empezar una nueva.",
	},
	"newPrompt": {
		"en": "Write your question and I will open a new request.",
		"de": "Schreiben Sie Ihre Frage, dann eröffne ich eine neue Anfrage.",
		"fr": "Écrivez votre question et j'ouvrirai une nouvelle demande.",
		"es": "Escriba su pregunta y abriré una nueva solicitud.",
	},
	"help": {
		"en": "Write your question and a technician will answer in this chat. Photos and documents are welcome (up to 20 MB).\n\n/new – open a new request\n/status – show your request\n/leave – leave your request\n/help – this help",
		"de": "Schreiben Sie Ihre Frage, ein Techniker antwortet in diesem Chat. Fotos und Dokumente sind willkommen (bis 20 MB).\n\n/new – neue Anfrage eröffnen\n/status – Ihre Anfrage anzeigen\n/leave – Ihre Anfrage verlassen\n/help – diese Hilfe",
		"fr": "Écrivez votre question, un technicien vous répondra dans cette conversation. Photos et documents sont les bienvenus (jusqu'à 20 Mo).\n\n/new – ouvrir une nouvelle demande\n/status – afficher votre demande\n/leave – quitter votre demande\n/help – cette aide",
		"es": "Escriba su pregunta y un técnico le responderá en este chat. Puede enviar fotos y documentos (hasta 20 MB).\n\n/new – abrir una nueva solicitud\n/status – ver su solicitud\n/leave – abandonar su solicitud\n/help – esta ayuda",
	},
	"unknownCommand": {
		"en": "I do not know the command /%s.",
		"de": "Den Befehl /%s kenne ich nicht.",
		"fr": "Je ne connais pas la commande /%s.",
		"es": "No conozco el comando /%s.",
	},
	"unsupported": {
		"en": "I can pass on text, photos and documents only. Please write your message, or send it as a photo or a document.",
		"de": "Ich kann nur Text, Fotos und Dokumente weitergeben. Bitte schreiben Sie Ihre Nachricht oder senden Sie sie als Foto oder Dokument.",
		"fr": "Je ne peux transmettre que du texte, des photos et des documents. Écrivez votre message, ou envoyez-le en photo ou en document.",
		"es": "Solo puedo transmitir texto, fotos y documentos. Escriba su mensaje o envíelo como foto o documento.",
	},
	"tooBigForTelegram": {
		"en": "This file is %s, but Telegram lets bots fetch files of up to 20 MB only, so it did not reach us. Please send a smaller file.",
		"de": "Diese Datei ist %s groß, Telegram lässt Bots aber nur Dateien bis 20 MB abrufen, daher kam sie nicht bei uns an. Bitte senden Sie eine kleinere Datei.",
		"fr": "Ce fichier fait %s, mais Telegram ne laisse les bots récupérer que des fichiers de 20 Mo au plus : il ne nous est donc pas parvenu. Envoyez un fichier plus petit.",
		"es": "Este archivo ocupa %s, pero Telegram solo deja a los bots descargar archivos de hasta 20 MB, así que no nos ha llegado. Envíe un archivo más pequeño.",
	},
	"fileRefused": {
		"en": "Your file was not accepted: %s. Nothing was sent.",
		"de": "Ihre Datei wurde nicht angenommen: %s. Es wurde nichts übermittelt.",
		"fr": "Votre fichier n'a pas été accepté : %s. Rien n'a été transmis.",
		"es": "Su archivo no se aceptó: %s. No se ha enviado nada.",
	},
	"refused": {
		"en": "That did not work: %s",
		"de": "Das hat nicht geklappt: %s",
		"fr": "Cela n'a pas fonctionné : %s",
		"es": "No ha funcionado: %s",
	},
	"failed": {
		"en": "Sorry, your last message could not be passed on because of a problem on our side. Please send it again in a few minutes.",
		"de": "Entschuldigung, Ihre letzte Nachricht konnte wegen eines Problems bei uns nicht weitergegeben werden. Bitte senden Sie sie in ein paar Minuten erneut.",
		"fr": "Désolé, votre dernier message n'a pas pu être transmis à cause d'un problème de notre côté. Renvoyez-le dans quelques minutes.",
		"es": "Lo sentimos, su último mensaje no se pudo transmitir por un problema nuestro. Envíelo de nuevo dentro de unos minutos.",
	},
	"editRefused": {
		"en": "That message can no longer be changed (messages can be edited for %d minutes after sending, while the request is open), so support still sees it as it was. Please send a new message instead.",
		"de": "Diese Nachricht kann nicht mehr geändert werden (Nachrichten lassen sich bis %d Minuten nach dem Senden bearbeiten, solange die Anfrage offen ist); der Support sieht sie daher unverändert. Bitte senden Sie stattdessen eine neue Nachricht.",
		"fr": "Ce message ne peut plus être modifié (un message peut être modifié pendant %d minutes après son envoi, tant que la demande est ouverte) : le support le voit donc tel qu'il était. Envoyez plutôt un nouveau message.",
		"es": "Ese mensaje ya no se puede cambiar (los mensajes se pueden editar durante %d minutos tras enviarlos, mientras la solicitud esté abierta), así que el soporte lo sigue viendo como era. Envíe un mensaje nuevo en su lugar.",
	},
	"withdrawn": {
		"en": "(message withdrawn)",
		"de": "(Nachricht zurückgezogen)",
		"fr": "(message retiré)",
		"es": "(mensaje retirado)",
	},
	"editedAway": {
		"en": "(edited: see the message above)",
		"de": "(bearbeitet: siehe die Nachricht oben)",
		"fr": "(modifié : voir le message ci-dessus)",
		"es": "(editado: vea el mensaje de arriba)",
	},
	"shareButton": {
		"en": "Share my screen",
		"de": "Bildschirm freigeben",
		"fr": "Partager mon écran",
		"es": "Compartir mi pantalla",
	},
	"callButton": {
		"en": "Answer in the browser",
		"de": "Im Browser annehmen",
		"fr": "Répondre dans le navigateur",
		"es": "Contestar en el navegador",
	},
	"fileTooBigToSend": {
		"en": "%s sent %s (%s), which is larger than Telegram lets bots send. Ask them for another way to get it.",
		"de": "%s hat %s (%s) gesendet; die Datei ist größer, als Telegram Bots senden lässt. Fragen Sie nach einem anderen Weg.",
		"fr": "%s a envoyé %s (%s), plus grand que ce que Telegram laisse envoyer aux bots. Demandez un autre moyen de le recevoir.",
		"es": "%s ha enviado %s (%s), más grande de lo que Telegram deja enviar a los bots. Pida otra forma de recibirlo.",
	},
}

// commandNames are the commands registered with setMyCommands, in order.
var commandNames = []string{"start", "new", "status", "leave", "help"}

// commandTexts describe the commands in Telegram's command menu.
var commandTexts = bots.Catalog{
	"start":  {"en": "Start, or follow your company's link", "de": "Starten oder dem Link Ihrer Firma folgen", "fr": "Commencer, ou suivre le lien de votre entreprise", "es": "Empezar, o seguir el enlace de su empresa"},
	"new":    {"en": "Open a new request", "de": "Neue Anfrage eröffnen", "fr": "Ouvrir une nouvelle demande", "es": "Abrir una nueva solicitud"},
	"status": {"en": "Show your request", "de": "Ihre Anfrage anzeigen", "fr": "Afficher votre demande", "es": "Ver su solicitud"},
	"leave":  {"en": "Leave your request", "de": "Ihre Anfrage verlassen", "fr": "Quitter votre demande", "es": "Abandonar su solicitud"},
	"help":   {"en": "How this works", "de": "So funktioniert es", "fr": "Comment ça marche", "es": "Cómo funciona"},
}

// commands returns the command menu in lang.
func commands(lang string) []models.BotCommand {
	out := make([]models.BotCommand, len(commandNames))
	for i, c := range commandNames {
		out[i] = models.BotCommand{Command: c, Description: commandTexts.Text(lang, c)}
	}
	return out
}
