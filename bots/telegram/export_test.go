package telegram

import (
	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/core/markup"
)

// Formatted is formatted for tests: a stored body after who's name, as
// Telegram is sent it.
func Formatted(who, body string) (string, []models.MessageEntity) {
	p := formatted(who, markup.Parse(body))
	return p.text, p.ents
}

// Cut is cut for tests: the pieces' texts and entities.
func Cut(text string, ents []models.MessageEntity, max int) ([]string, [][]models.MessageEntity) {
	var texts []string
	var es [][]models.MessageEntity
	for _, p := range cut(piece{text, ents}, max) {
		texts, es = append(texts, p.text), append(es, p.ents)
	}
	return texts, es
}

// Fit is fit for tests.
func Fit(text string, ents []models.MessageEntity, max int) (string, []models.MessageEntity) {
	p := fit(piece{text, ents}, max)
	return p.text, p.ents
}

// NormInlines is norm, for tests comparing docs as reading back keeps them.
var NormInlines = norm
