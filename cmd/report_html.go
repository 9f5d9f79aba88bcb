package cmd

import (
	"embed"
	"fmt"
	"html/template"
	"io"
)

// The page is one file: the template inlines its stylesheet and script,
// and the data goes in as JSON, so it opens from disk with no network.
//
//go:embed reportpage/page.html.tmpl reportpage/report.css reportpage/report.js
var reportPage embed.FS

var reportTemplate = template.Must(template.New("page.html.tmpl").ParseFS(reportPage, "reportpage/page.html.tmpl"))

// reportPageData fills page.html.tmpl.
type reportPageData struct {
	Data   reportData
	Series int
	CSS    template.CSS
	Script template.JS
}

func writeReportHTML(w io.Writer, data reportData) error {
	css, err := reportPage.ReadFile("reportpage/report.css")
	if err != nil {
		return err
	}
	js, err := reportPage.ReadFile("reportpage/report.js")
	if err != nil {
		return err
	}
	page := reportPageData{Data: data, Series: len(data.Series), CSS: template.CSS(css), Script: template.JS(js)}
	if err := reportTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}
