// A small SVG plot writer for reports: x-y plots (lines, step lines, points, shaded bands) with nice ticks,
// axis labels and a legend, and bar charts. Output is standalone SVG 1.1 text (no script, no external
// reference) that can be saved as a file or inlined in HTML. Every plot's root element carries
// class="dynosim-plot" and data-plot="<id>", which the report's checks look for. Numbers are written with
// fixed precision, so the same data gives the same bytes.
#pragma once
#include <string>
#include <vector>

namespace dynosim::framework {

struct PlotSeries {
    enum class Style { Line, Step, Points, Band };
    std::string label;  // legend text; empty = not in the legend
    Style style = Style::Line;
    std::vector<double> x, y;
    std::vector<double> y2;   // Band: the upper edge (y is the lower one)
    std::string color;        // empty = the palette's next color
    double width = 1.5;       // stroke width (lines), radius (points)
    double opacity = 1.0;
    std::vector<std::string> tips;  // Points: hover text per point (SVG <title>)

    static PlotSeries make(Style style, std::string label, std::string color = "", double width = 1.5,
                           double opacity = 1.0, std::vector<double> x = {}, std::vector<double> y = {}) {
        PlotSeries s;
        s.style = style;
        s.label = std::move(label);
        s.color = std::move(color);
        s.width = width;
        s.opacity = opacity;
        s.x = std::move(x);
        s.y = std::move(y);
        return s;
    }
};

struct PlotOptions {
    std::string id;  // data-plot attribute; unique within a report
    std::string title, x_label, y_label;
    double width = 640, height = 360;  // pixels
    bool y_from_zero = false;          // include 0 in the y range
    bool x_integer = false;            // x is a count (evaluations): only whole-number ticks
};

// Escapes &, <, >, " and ' for XML text and attributes.
std::string xml_escape(const std::string& s);
// "Nice" tick values (1, 2, 5 x 10^k steps) covering [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);
// The palette color number i (cycled).
const char* palette(std::size_t i);

class SvgPlot {
public:
    explicit SvgPlot(PlotOptions o) : o_(std::move(o)) {}
    SvgPlot& add(PlotSeries s);
    std::size_t series() const { return series_.size(); }
    // The SVG document. With no finite data the axes span [0, 1] and the plot says "no data".
    std::string render() const;

private:
    PlotOptions o_;
    std::vector<PlotSeries> series_;
};

// Vertical bars, one per label, optionally several groups side by side (values[g][i], group names in
// `groups`).
std::string bar_chart(const PlotOptions& o, const std::vector<std::string>& labels,
                      const std::vector<std::vector<double>>& values, const std::vector<std::string>& groups);

}  // namespace dynosim::framework
