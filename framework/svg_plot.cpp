#include "framework/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace dynosim::framework {

std::string xml_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

const char* palette(std::size_t i) {
    static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                   "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
    return colors[i % 8];
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
    const double raw = (hi - lo) / std::max(1, target);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    std::vector<double> ticks;
    // k x step (not a running sum): no accumulated rounding.
    for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) ticks.push_back(k == 0 ? 0.0 : k * step);
    return ticks;
}

namespace {

std::string num(double v) { return fmt::format("{:.1f}", v); }

std::string tick_label(double v) {
    if (v == 0) return "0";
    const double a = std::abs(v);
    if (a >= 1e6 || a < 1e-3) return fmt::format("{:.2g}", v);
    return fmt::format("{:.6g}", v);
}

struct Frame {
    double left = 70, right = 20, top = 40, bottom = 50;
    double x0, x1, y0, y1;  // data ranges
    double w, h;            // plot area
    double X(double x) const { return left + (x - x0) / (x1 - x0) * w; }
    double Y(double y) const { return top + h - (y - y0) / (y1 - y0) * h; }
};

void widen(double& lo, double& hi) {
    if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
    if (hi <= lo) {
        const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
        lo -= pad;
        hi += pad;
    }
}

std::string header(const PlotOptions& o) {
    return fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dynosim-plot\" data-plot=\"{}\" width=\"{}\" "
        "height=\"{}\" viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" font-size=\"12\">\n"
        "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        "<text x=\"{}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n",
        xml_escape(o.id), num(o.width), num(o.height), num(o.width), num(o.height), num(o.width / 2),
        xml_escape(o.title));
}

std::string axes(const PlotOptions& o, const Frame& f, bool x_ticks) {
    std::string s;
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n",
                     num(f.left), num(f.top), num(f.w), num(f.h));
    for (double t : nice_ticks(f.y0, f.y1)) {
        if (t < f.y0 || t > f.y1) continue;
        const double y = f.Y(t);
        s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e4e4e4\"/>"
                         "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                         num(f.left), num(y), num(f.left + f.w), num(y), num(f.left - 5), num(y + 4), tick_label(t));
    }
    if (x_ticks)
        for (double t : nice_ticks(f.x0, f.x1, 6)) {
            if (t < f.x0 || t > f.x1 || (o.x_integer && t != std::floor(t))) continue;
            const double x = f.X(t);
            s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e4e4e4\"/>"
                             "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                             num(x), num(f.top), num(x), num(f.top + f.h), num(x), num(f.top + f.h + 16),
                             tick_label(t));
        }
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(f.left + f.w / 2),
                     num(o.height - 10), xml_escape(o.x_label));
    s += fmt::format("<text transform=\"translate(16,{}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                     num(f.top + f.h / 2), xml_escape(o.y_label));
    return s;
}

}  // namespace

SvgPlot& SvgPlot::add(PlotSeries s) {
    if (s.color.empty()) s.color = palette(series_.size());
    series_.push_back(std::move(s));
    return *this;
}

std::string SvgPlot::render() const {
    Frame f;
    const double inf = std::numeric_limits<double>::infinity();
    f.x0 = inf, f.x1 = -inf, f.y0 = inf, f.y1 = -inf;
    for (const auto& s : series_)
        for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
            f.x0 = std::min(f.x0, s.x[i]), f.x1 = std::max(f.x1, s.x[i]);
            f.y0 = std::min(f.y0, s.y[i]), f.y1 = std::max(f.y1, s.y[i]);
            if (i < s.y2.size() && std::isfinite(s.y2[i])) f.y1 = std::max(f.y1, s.y2[i]);
        }
    const bool empty = !std::isfinite(f.x0);
    if (o_.y_from_zero && !empty) f.y0 = std::min(f.y0, 0.0), f.y1 = std::max(f.y1, 0.0);
    widen(f.x0, f.x1);
    widen(f.y0, f.y1);
    const double xpad = (f.x1 - f.x0) * 0.03;  // points on the range's ends stay whole inside the frame
    f.x0 -= xpad;
    f.x1 += xpad;
    const double ypad = (f.y1 - f.y0) * 0.04;
    if (!(o_.y_from_zero && f.y0 == 0)) f.y0 -= ypad;
    f.y1 += ypad;
    f.w = o_.width - f.left - f.right;
    f.h = o_.height - f.top - f.bottom;

    std::string svg = header(o_) + axes(o_, f, true);
    if (empty)
        svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n",
                           num(f.left + f.w / 2), num(f.top + f.h / 2));
    svg += fmt::format("<clipPath id=\"clip-{0}\"><rect x=\"{1}\" y=\"{2}\" width=\"{3}\" height=\"{4}\"/></clipPath>\n"
                       "<g clip-path=\"url(#clip-{0})\">\n",
                       xml_escape(o_.id), num(f.left - 4), num(f.top - 4), num(f.w + 8), num(f.h + 8));
    for (const auto& s : series_) {
        const std::size_t n = std::min(s.x.size(), s.y.size());
        if (s.style == PlotSeries::Style::Points) {
            for (std::size_t i = 0; i < n; ++i) {
                if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
                svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" fill-opacity=\"{}\">", num(f.X(s.x[i])),
                                   num(f.Y(s.y[i])), num(s.width), s.color, s.opacity);
                if (i < s.tips.size()) svg += "<title>" + xml_escape(s.tips[i]) + "</title>";
                svg += "</circle>\n";
            }
            continue;
        }
        if (s.style == PlotSeries::Style::Band) {
            std::string up, down;
            for (std::size_t i = 0; i < n && i < s.y2.size(); ++i) {
                if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || !std::isfinite(s.y2[i])) continue;
                up += fmt::format("{},{} ", num(f.X(s.x[i])), num(f.Y(s.y2[i])));
                down = fmt::format("{},{} ", num(f.X(s.x[i])), num(f.Y(s.y[i]))) + down;
            }
            if (!up.empty())
                svg += fmt::format("<polygon points=\"{}{}\" fill=\"{}\" fill-opacity=\"{}\" stroke=\"none\"/>\n", up,
                                   down, s.color, s.opacity);
            continue;
        }
        std::string pts;
        double prev_y = std::nan("");
        for (std::size_t i = 0; i < n; ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
            if (s.style == PlotSeries::Style::Step && std::isfinite(prev_y))
                pts += fmt::format("{},{} ", num(f.X(s.x[i])), num(f.Y(prev_y)));
            pts += fmt::format("{},{} ", num(f.X(s.x[i])), num(f.Y(s.y[i])));
            prev_y = s.y[i];
        }
        if (!pts.empty())
            svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" "
                               "stroke-opacity=\"{}\"/>\n",
                               pts, s.color, num(s.width), s.opacity);
    }
    svg += "</g>\n";
    // Legend, top right inside the plot area.
    double ly = f.top + 14;
    for (const auto& s : series_) {
        if (s.label.empty()) continue;
        const double lx = f.left + f.w - 8;
        svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
                           "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                           num(lx - 10), num(ly - 9), s.color, num(lx - 14), num(ly), xml_escape(s.label));
        ly += 16;
    }
    svg += "</svg>\n";
    return svg;
}

std::string bar_chart(const PlotOptions& o, const std::vector<std::string>& labels,
                      const std::vector<std::vector<double>>& values, const std::vector<std::string>& groups) {
    Frame f;
    f.x0 = 0, f.x1 = 1;
    f.y0 = 0, f.y1 = -std::numeric_limits<double>::infinity();
    for (const auto& g : values)
        for (double v : g)
            if (std::isfinite(v)) f.y1 = std::max(f.y1, v);
    if (!std::isfinite(f.y1) || f.y1 <= 0) f.y1 = 1;
    f.y1 *= 1.05;
    f.w = o.width - f.left - f.right;
    f.h = o.height - f.top - f.bottom;
    std::string svg = header(o) + axes(o, f, false);
    const std::size_t n = labels.size(), ng = std::max<std::size_t>(1, values.size());
    const double slot = n ? f.w / static_cast<double>(n) : f.w;
    const double bw = slot * 0.8 / static_cast<double>(ng);
    const bool label_every = n <= 32;
    for (std::size_t i = 0; i < n; ++i) {
        const double sx = f.left + slot * static_cast<double>(i) + slot * 0.1;
        for (std::size_t g = 0; g < values.size(); ++g) {
            const double v = i < values[g].size() && std::isfinite(values[g][i]) ? values[g][i] : 0.0;
            const double y = f.Y(v);
            svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} {}: {:.6g}"
                               "</title></rect>\n",
                               num(sx + bw * static_cast<double>(g)), num(y), num(std::max(bw - 1, 1.0)),
                               num(f.top + f.h - y), palette(g), xml_escape(labels[i]),
                               g < groups.size() ? xml_escape(groups[g]) : std::string(), v);
        }
        if (label_every || i % (n / 16 + 1) == 0)
            svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(sx + slot * 0.4),
                               num(f.top + f.h + 16), xml_escape(labels[i]));
    }
    if (n == 0)
        svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n",
                           num(f.left + f.w / 2), num(f.top + f.h / 2));
    double ly = f.top + 14;
    for (std::size_t g = 0; g < groups.size() && groups.size() > 1; ++g) {
        const double lx = f.left + f.w - 8;
        svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
                           "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                           num(lx - 10), num(ly - 9), palette(g), num(lx - 14), num(ly), xml_escape(groups[g]));
        ly += 16;
    }
    svg += "</svg>\n";
    return svg;
}

}  // namespace dynosim::framework
