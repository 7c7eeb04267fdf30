/*
 * A small SVG line chart: panels of held-out accuracy against step, side by
 * side, one colour per defence with one legend for the figure. Meant to be
 * read at a glance: shared y axis [0, 1] with gridlines every 0.2, x ticks
 * at round steps, direct labels on axes, no dependencies.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiment.h"

#define PW 330.0   /* panel plot width */
#define PH 220.0   /* panel plot height */
#define ML 58.0    /* left margin of a panel (y labels) */
#define MT 44.0    /* top margin of a panel (title) */
#define MB 46.0    /* bottom margin (x labels) */
#define MR 18.0
#define PER_ROW 3

/* Colour-blind-safe palette (Okabe-Ito), assigned by label. */
static const char *const palette[] = {"#D55E00", "#0072B2", "#009E73", "#CC79A7",
				      "#000000", "#56B4E9", "#E69F00", "#F0E442"};
static const char *const dashes[] = {"", "6 3", "2 2", "8 3 2 3", "", "4 4", "", "1 3"};

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A round tick spacing giving about 5 ticks over [0, max]. */
static uint64_t tick_step(uint64_t max)
{
	uint64_t s = 1;
	while (max / s > 6) {
		if (max / (s * 2) <= 6)
			return s * 2;
		if (max / (s * 5) <= 6)
			return s * 5;
		s *= 10;
	}
	return s;
}

int svg_write(FILE *f, const char *title, const struct svg_panel *panels, size_t npanels,
	      uint64_t max_step, double chance)
{
	int any_marks = 0;
	if (!f || (!panels && npanels))
		return -EINVAL;
	if (max_step == 0)
		max_step = 1;
	/* Distinct labels, in order of first appearance: one colour each. */
	const char *labels[8];
	size_t nl = 0;
	for (size_t p = 0; p < npanels; p++)
		for (size_t s = 0; s < panels[p].nseries; s++) {
			size_t k = 0;
			while (k < nl && strcmp(labels[k], panels[p].series[s].label) != 0)
				k++;
			if (k == nl && nl < 8)
				labels[nl++] = panels[p].series[s].label;
		}
	/* Up to 3 per row; 4 panels read best as 2 x 2. */
	size_t cols = npanels == 4 ? 2 : npanels < PER_ROW ? (npanels ? npanels : 1) : PER_ROW;
	size_t rows = (npanels + cols - 1) / cols;
	if (rows == 0)
		rows = 1;
	double cw = ML + PW + MR, ch = MT + PH + MB;
	double head = 40.0, legend = 34.0;
	double W = cols * cw + 10, H = head + rows * ch + legend;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		   "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
		W, H, W, H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%.1f\" y=\"26\" font-size=\"17\" text-anchor=\"middle\" "
		   "font-weight=\"bold\">", W / 2);
	esc(f, title);
	fprintf(f, "</text>\n");
	uint64_t xt = tick_step(max_step);
	for (size_t p = 0; p < npanels; p++) {
		double ox = (double)(p % cols) * cw + ML, oy = head + (double)(p / cols) * ch + MT;
		fprintf(f, "<g>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" "
			   "text-anchor=\"middle\" font-weight=\"bold\">",
			ox + PW / 2, oy - 12);
		esc(f, panels[p].title);
		fprintf(f, "</text>\n");
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			   "fill=\"#fafafa\" stroke=\"#444\"/>\n", ox, oy, PW, PH);
		for (int g = 0; g <= 5; g++) { /* y grid: accuracy 0, 0.2, ..., 1 */
			double y = oy + PH - PH * g / 5.0;
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				   "stroke=\"#ddd\"/>\n", ox, y, ox + PW, y);
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
				   "text-anchor=\"end\">%.1f</text>\n", ox - 5, y + 4, g / 5.0);
		}
		for (uint64_t s = 0; s <= max_step; s += xt) {
			double x = ox + PW * (double)s / (double)max_step;
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				   "stroke=\"#444\"/>\n", x, oy + PH, x, oy + PH + 4);
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
				   "text-anchor=\"middle\">%llu</text>\n", x, oy + PH + 16,
				(unsigned long long)s);
		}
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
			   "text-anchor=\"middle\">step</text>\n", ox + PW / 2, oy + PH + 34);
		if (chance > 0 && chance < 1)
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				   "stroke=\"#999\" stroke-dasharray=\"1 4\" stroke-width=\"1.5\"/>\n",
				ox, oy + PH - PH * chance, ox + PW, oy + PH - PH * chance);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\" "
			   "transform=\"rotate(-90 %.1f %.1f)\">held-out accuracy</text>\n",
			ox - 40, oy + PH / 2, ox - 40, oy + PH / 2);
		for (size_t s = 0; s < panels[p].nseries; s++) {
			const struct svg_series *sr = &panels[p].series[s];
			size_t k = 0;
			while (k < nl && strcmp(labels[k], sr->label) != 0)
				k++;
			k %= 8;
			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\" "
				   "stroke-linejoin=\"round\"%s%s%s points=\"",
				palette[k], dashes[k][0] ? " stroke-dasharray=\"" : "", dashes[k],
				dashes[k][0] ? "\"" : "");
			for (size_t i = 0; i < sr->n; i++) {
				double a = sr->pts[i].acc;
				if (!isfinite(a))
					a = 0;
				a = a < 0 ? 0 : a > 1 ? 1 : a;
				fprintf(f, "%s%.1f,%.1f", i ? " " : "",
					ox + PW * (double)sr->pts[i].step / (double)max_step,
					oy + PH - PH * a);
			}
			fprintf(f, "\"/>\n");
			/* Bans: small triangles pointing at the x axis. */
			for (size_t i = 0; i < sr->nmarks; i++) {
				uint64_t st = sr->marks[i] > max_step ? max_step : sr->marks[i];
				double x = ox + PW * (double)st / (double)max_step, y = oy + PH - 1;
				fprintf(f, "<path d=\"M%.1f %.1f l-4.5 -9 h9 z\" fill=\"%s\" "
					   "fill-opacity=\"0.8\"/>\n", x, y, palette[k]);
				any_marks = 1;
			}
		}
		fprintf(f, "</g>\n");
	}
	/* Legend: one row under the panels. */
	double lx = ML, ly = H - legend / 2;
	for (size_t k = 0; k < nl; k++) {
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			   "stroke-width=\"3\"%s%s%s/>\n", lx, ly, lx + 28, ly, palette[k],
			dashes[k][0] ? " stroke-dasharray=\"" : "", dashes[k], dashes[k][0] ? "\"" : "");
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\">", lx + 34, ly + 4);
		esc(f, labels[k]);
		fprintf(f, "</text>\n");
		lx += 34 + 9.0 * (double)strlen(labels[k]) + 26;
	}
	if (any_marks) {
		fprintf(f, "<path d=\"M%.1f %.1f l-4.5 -9 h9 z\" fill=\"#555\"/>\n", lx + 5,
			ly + 5);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\">an attacker banned "
			   "(step)</text>\n", lx + 16, ly + 4);
		lx += 200;
	}
	if (chance > 0 && chance < 1) {
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
			   "stroke-dasharray=\"1 4\" stroke-width=\"1.5\"/>\n", lx, ly, lx + 28, ly);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\">chance</text>\n",
			lx + 34, ly + 4);
	}
	fprintf(f, "</svg>\n");
	return ferror(f) ? -EIO : 0;
}
