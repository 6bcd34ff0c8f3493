//===- laws/phases/triad_solver.cc - Architectures meeting a triad --------===//
#include "laws/phases/triad_solver.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <tuple>

#include "laws/phases/internal/triad_search.h"

namespace moeplan::phases {
namespace {

using internal::DepthIssue;
using internal::Dims;
using internal::Evaluated;
using internal::RangeText;
using internal::ShapeDiagnosis;

constexpr double kInf = std::numeric_limits<double>::infinity();

// v(x, y) = a + b x + c y + e x y, fitted exactly from four probes at x1, x2 and y1, y2.
struct Bilinear {
  double a = 0, b = 0, c = 0, e = 0;
  double operator()(double x, double y) const { return a + b * x + c * y + e * x * y; }
  static Bilinear Fit(double x1, double x2, double y1, double y2, double v11, double v21,
                      double v12, double v22) {
    Bilinear f;
    f.e = (v22 - v21 - v12 + v11) / ((x2 - x1) * (y2 - y1));
    f.c = (v12 - v11) / (y2 - y1) - f.e * x1;
    f.b = (v21 - v11) / (x2 - x1) - f.e * y1;
    f.a = v11 - f.b * x1 - f.c * y1 - f.e * x1 * y1;
    return f;
  }
};

// M, N_a and N as bilinear functions of two of the free dimensions.
struct TriadModel {
  Bilinear m, na, n;
};

// A depth and the widths at which N_a and M can both be within tolerance there.
struct DepthWindow {
  int64_t layers = 0;
  double low = 0, high = 0;
};
// Depths tried per (heads, K, s), nearest the crossing M = target first.
constexpr size_t kMaxDepths = 5;

std::vector<int64_t> Values(const IntRange& range) {
  std::vector<int64_t> values;
  for (int64_t v = range.min; v <= range.max; v += range.step) values.push_back(v);
  return values;
}

int64_t FloorTo(double x, int64_t step) {
  return static_cast<int64_t>(std::floor(x / static_cast<double>(step))) * step;
}

class Solver {
 public:
  explicit Solver(const TriadProblem& p) : p_(p), arch_(p.base) {
    arch_.name.clear();
    const laws::AttentionSpec& a = p.base.attention;
    kv_group_ = a.type == laws::AttentionType::kMultiHead && a.num_kv_heads > 0
                    ? a.num_heads / a.num_kv_heads
                    : 1;
    targets_ = {p.flops_per_token.target, p.active_params.target, p.total_params.target};
    tolerances_ = {p.flops_per_token.tolerance, p.active_params.tolerance,
                   p.total_params.tolerance};
    const laws::MoeSpec& moe = p.base.moe;
    experts_ = p.num_experts.value_or(IntRange::Fixed(moe.num_experts));
    top_k_ = p.top_k.value_or(IntRange::Fixed(moe.top_k));
    shared_ = p.shared_experts.value_or(IntRange::Fixed(moe.num_shared_experts));
    heads_ = p.num_heads.value_or(IntRange::Fixed(a.num_heads));
    layers_ = p.num_layers;
    layers_.min = std::max(layers_.min, moe.first_dense_layers + 1);
    period_ = std::max<int64_t>(moe.layer_period, 1);
  }

  TriadSolution Run();

 private:
  laws::Triad Count(const Dims& x) {
    Apply(x);
    ++evaluated_;
    return laws::CountTriad(arch_, p_.counting);
  }
  void Apply(const Dims& x);
  TriadModel ProbeDepthWidth(int64_t heads, int64_t top_k, int64_t shared, int64_t experts);
  TriadModel ProbeWidthExperts(const Dims& shape);
  void SolveShape(int64_t heads, int64_t top_k, int64_t shared);
  void SolveDepth(const Dims& shape, const DepthWindow& window);
  void Offer(const Dims& x);
  int64_t SnapExperts(double experts, int64_t top_k, bool up) const;
  int64_t ExpertsGuess(int64_t top_k, int64_t shared) const;
  std::string Explain(const Evaluated& nearest);
  TriadCandidate Materialize(const Evaluated& e);

  const TriadProblem& p_;
  laws::MoeArch arch_;  // the one working copy: candidates are applied in place
  int64_t kv_group_ = 1;
  int64_t period_ = 1;
  std::array<double, 3> targets_{}, tolerances_{};
  IntRange experts_, top_k_, shared_, heads_, layers_;
  std::vector<Evaluated> evaluated_list_;
  std::vector<ShapeDiagnosis> diagnoses_;
  size_t evaluated_ = 0;
};

void Solver::Apply(const Dims& x) {
  arch_.num_layers = x.layers;
  arch_.attention.num_heads = x.heads;
  if (arch_.attention.type == laws::AttentionType::kMultiHead) {
    arch_.attention.num_kv_heads = x.heads / kv_group_;
  }
  laws::MoeSpec& moe = arch_.moe;
  moe.num_experts = x.experts;
  moe.top_k = x.top_k;
  moe.num_shared_experts = x.shared;
  moe.expert.intermediate_size = x.width;
  if (p_.shared_width_tied) moe.shared_expert = moe.expert;
  moe.shared_expert_gate = p_.base.moe.shared_expert_gate && x.shared > 0;
  if (p_.dense_width_tied) arch_.dense_ffn.intermediate_size = (x.top_k + x.shared) * x.width;
}

// The triad as a bilinear function of (L, w) at fixed heads, K, s, N_e. Exact when every layer
// after the leading dense ones is MoE (layer_period 1); a close model otherwise.
TriadModel Solver::ProbeDepthWidth(int64_t heads, int64_t top_k, int64_t shared, int64_t experts) {
  const int64_t l1 = layers_.min;
  const int64_t l2 = l1 + period_;
  const int64_t w1 = p_.width_align, w2 = 2 * p_.width_align;
  const auto at = [&](int64_t layers, int64_t width) {
    return Count({heads, layers, experts, top_k, shared, width});
  };
  const laws::Triad t11 = at(l1, w1), t21 = at(l2, w1), t12 = at(l1, w2), t22 = at(l2, w2);
  const double x1 = static_cast<double>(l1), x2 = static_cast<double>(l2);
  const double y1 = static_cast<double>(w1), y2 = static_cast<double>(w2);
  auto fit = [&](auto get) {
    return Bilinear::Fit(x1, x2, y1, y2, get(t11), get(t21), get(t12), get(t22));
  };
  return {fit([](const laws::Triad& t) { return t.flops_per_token; }),
          fit([](const laws::Triad& t) { return static_cast<double>(t.active_params); }),
          fit([](const laws::Triad& t) { return static_cast<double>(t.total_params); })};
}

// The triad as a bilinear function of (w, N_e) at fixed heads, L, K, s (exact).
TriadModel Solver::ProbeWidthExperts(const Dims& shape) {
  const int64_t w1 = p_.width_align, w2 = 2 * p_.width_align;
  const int64_t e1 = shape.experts, e2 = shape.experts + 1;
  const auto at = [&](int64_t width, int64_t experts) {
    Dims x = shape;
    x.width = width;
    x.experts = experts;
    return Count(x);
  };
  const laws::Triad t11 = at(w1, e1), t21 = at(w2, e1), t12 = at(w1, e2), t22 = at(w2, e2);
  const double x1 = static_cast<double>(w1), x2 = static_cast<double>(w2);
  const double y1 = static_cast<double>(e1), y2 = static_cast<double>(e2);
  auto fit = [&](auto get) {
    return Bilinear::Fit(x1, x2, y1, y2, get(t11), get(t21), get(t12), get(t22));
  };
  return {fit([](const laws::Triad& t) { return t.flops_per_token; }),
          fit([](const laws::Triad& t) { return static_cast<double>(t.active_params); }),
          fit([](const laws::Triad& t) { return static_cast<double>(t.total_params); })};
}

// Nearest allowed N_e at or below (up = false) / above (up = true) `experts`, never below K.
int64_t Solver::SnapExperts(double experts, int64_t top_k, bool up) const {
  const double offset =
      (experts - static_cast<double>(experts_.min)) / static_cast<double>(experts_.step);
  double steps = up ? std::ceil(offset) : std::floor(offset);
  steps =
      std::clamp(steps, 0.0, static_cast<double>((experts_.max - experts_.min) / experts_.step));
  int64_t value = experts_.min + static_cast<int64_t>(steps) * experts_.step;
  while (value < top_k && value + experts_.step <= experts_.max) value += experts_.step;
  return value;
}

// First guess of N_e from the ratio N / N_a, before anything is counted.
int64_t Solver::ExpertsGuess(int64_t top_k, int64_t shared) const {
  if (experts_.IsFixed()) return experts_.min;
  const double ratio = targets_[2] / targets_[1];
  return SnapExperts(static_cast<double>(top_k + shared) * ratio - static_cast<double>(shared),
                     top_k, false);
}

void Solver::SolveShape(int64_t heads, int64_t top_k, int64_t shared) {
  const int64_t experts = ExpertsGuess(top_k, shared);
  if (experts < top_k) return;  // no allowed N_e holds K experts
  const Dims shape{heads, 0, experts, top_k, shared, 0};
  const TriadModel model = ProbeDepthWidth(heads, top_k, shared, experts);
  const double m_target = targets_[0], na_target = targets_[1];
  const double m_tolerance = tolerances_[0], na_tolerance = tolerances_[1];
  const double align = static_cast<double>(p_.width_align);
  // w at depth l where N_a (or M) equals `value`: both are increasing in w.
  const auto na_width = [&](double l, double value) {
    return (value - model.na.a - model.na.b * l) / (model.na.c + model.na.e * l);
  };
  const auto m_width = [&](double l, double value) {
    return (value - model.m.a - model.m.b * l) / (model.m.c + model.m.e * l);
  };
  // With N_e fixed, N also bounds w (exactly: the model was probed at this N_e).
  const double n_target = targets_[2], n_tolerance = tolerances_[2];
  const auto n_width = [&](double l, double value) {
    return (value - model.n.a - model.n.b * l) / (model.n.c + model.n.e * l);
  };
  const bool n_bounds_width = experts_.IsFixed();

  // Along the N_a constraint, w(L) shrinks as L grows and M(L, w(L)) grows (each layer adds its
  // attention share): scan the depths for the crossing M = target, and collect every depth
  // whose window of widths keeping N_a and M within tolerance is not empty (widened by one
  // alignment step for rounding; with N_e fixed, N must fit in the same window).
  int64_t below = -1, above = -1, deepest = -1;
  std::vector<DepthWindow> windows;
  for (int64_t layers = layers_.min; layers <= layers_.max; layers += 1) {
    const double l = static_cast<double>(layers);
    const double widest = na_width(l, na_target * (1.0 + na_tolerance));
    if (!(widest >= 0.5 * align)) break;
    deepest = layers;
    const double width = na_width(l, na_target);
    if (width >= 0.5 * align) {
      if (model.m(l, width) < m_target) {
        below = layers;
      } else if (above < 0) {
        above = layers;
      }
    }
    double lo = std::max({na_width(l, na_target * (1.0 - na_tolerance)),
                          m_width(l, m_target * (1.0 - m_tolerance)), 0.5 * align});
    double hi = std::min(widest, m_width(l, m_target * (1.0 + m_tolerance)));
    if (n_bounds_width) {
      lo = std::max(lo, n_width(l, n_target * (1.0 - n_tolerance)));
      hi = std::min(hi, n_width(l, n_target * (1.0 + n_tolerance)));
    }
    if (hi >= lo - align && (layers - layers_.min) % layers_.step == 0) {
      windows.push_back({layers, lo, hi});
    }
  }
  ShapeDiagnosis diagnosis;
  diagnosis.dims = shape;
  const double w1 = align;
  diagnosis.share_target = m_target - 6.0 * na_target;
  diagnosis.share_per_layer = (model.m.b - 6.0 * model.na.b) + (model.m.e - 6.0 * model.na.e) * w1;
  diagnosis.active_per_layer = model.na.b + model.na.e * w1;
  const double share_at_zero = (model.m.a - 6.0 * model.na.a) + (model.m.c - 6.0 * model.na.c) * w1;
  diagnosis.layers_needed =
      (diagnosis.share_target - share_at_zero) / std::max(diagnosis.share_per_layer, 1e-300);

  // A depth issue only when even the boundary depth misses M by more than its tolerance;
  // otherwise the boundary depths are tried and rounding decides.
  const auto m_at = [&](int64_t layers) {
    const double l = static_cast<double>(layers);
    return model.m(l, na_width(l, na_target));
  };
  int64_t centre = above >= 0 ? above : std::max<int64_t>(below, layers_.min);
  if (deepest < 0) {
    // Not even L_min layers fit into N_a at the narrowest width.
    diagnosis.issue = DepthIssue::kActiveTooSmall;
    diagnosis.layers_allowed = layers_.min - 1;
    centre = layers_.min;
  } else if (above < 0) {
    // M wants more layers than N_a allows (or exactly the deepest ones).
    if (m_at(deepest) < m_target * (1.0 - m_tolerance)) {
      diagnosis.issue = DepthIssue::kActiveTooSmall;
    }
    diagnosis.layers_allowed = deepest;
    centre = deepest;
  } else if (below < 0) {
    // M is exceeded already at L_min.
    if (m_at(layers_.min) > m_target * (1.0 + m_tolerance)) {
      diagnosis.issue = DepthIssue::kAttentionTooLarge;
    }
    diagnosis.layers_allowed = layers_.min;
  }
  diagnoses_.push_back(diagnosis);

  // The feasible depths nearest the crossing, or (none feasible) the crossing's neighbours for
  // the nearest miss.
  if (windows.empty()) {
    for (int64_t layers : {centre - 1, centre, centre + 1}) {
      if (layers < layers_.min || layers > layers_.max) continue;
      if ((layers - layers_.min) % layers_.step != 0) continue;
      const double l = static_cast<double>(layers);
      const double w = na_width(l, na_target);
      windows.push_back({layers, w, w});
    }
  }
  // Open windows first (nearest the crossing first), then those open only after rounding
  // (narrowest gap first).
  std::stable_sort(windows.begin(), windows.end(), [&](const DepthWindow& x, const DepthWindow& y) {
    const bool x_open = x.high >= x.low, y_open = y.high >= y.low;
    if (x_open != y_open) return x_open;
    if (x_open) return std::llabs(x.layers - centre) < std::llabs(y.layers - centre);
    return x.low - x.high < y.low - y.high;
  });
  if (windows.size() > kMaxDepths) windows.resize(kMaxDepths);
  for (const DepthWindow& window : windows) {
    Dims at_depth = shape;
    at_depth.layers = window.layers;
    SolveDepth(at_depth, window);
  }
}

// At fixed depth: w from N_a, N_e from N (or, with N_e fixed, w from both), then the aligned
// widths of the depth's window and the integer neighbours of N_e, each counted exactly.
void Solver::SolveDepth(const Dims& shape, const DepthWindow& window) {
  const TriadModel model = ProbeWidthExperts(shape);
  const double na_target = targets_[1], n_target = targets_[2];
  const double align = static_cast<double>(p_.width_align);
  std::vector<double> widths;
  double experts = static_cast<double>(shape.experts);
  const auto width_for_active = [&](double e) {
    return (na_target - model.na.a - model.na.c * e) / (model.na.b + model.na.e * e);
  };
  if (experts_.IsFixed()) {
    widths.push_back(width_for_active(experts));
    widths.push_back((n_target - model.n.a - model.n.c * experts) /
                     (model.n.b + model.n.e * experts));
    widths.push_back(0.5 * (widths[0] + widths[1]));
  } else {
    // N_a depends on N_e only through the router: a few fixed-point steps converge.
    double width = width_for_active(experts);
    for (int step = 0; step < 4; ++step) {
      experts = (n_target - model.n.a - model.n.b * width) / (model.n.c + model.n.e * width);
      width = width_for_active(experts);
    }
    widths.push_back(width);
  }
  // A few aligned widths across the window, so that errors can be traded between M and N_a.
  if (window.high > window.low) {
    const double span = window.high - window.low;
    const int steps = static_cast<int>(std::min(4.0, std::floor(span / align)));
    for (int i = 0; i <= steps; ++i) {
      widths.push_back(window.low + span * (steps == 0 ? 0.5 : static_cast<double>(i) / steps));
    }
  }
  std::vector<int64_t> aligned;
  for (double width : widths) {
    if (!std::isfinite(width)) continue;
    const int64_t low = FloorTo(width, p_.width_align);
    for (int64_t w : {low, low + p_.width_align}) {
      if (w >= p_.width_align && w <= p_.max_expert_width &&
          std::find(aligned.begin(), aligned.end(), w) == aligned.end()) {
        aligned.push_back(w);
      }
    }
  }
  for (int64_t width : aligned) {
    Dims x = shape;
    x.width = width;
    if (experts_.IsFixed()) {
      Offer(x);
      continue;
    }
    const double w = static_cast<double>(width);
    const double e = (n_target - model.n.a - model.n.b * w) / (model.n.c + model.n.e * w);
    if (!std::isfinite(e)) continue;
    const int64_t low = SnapExperts(e, x.top_k, false), high = SnapExperts(e, x.top_k, true);
    x.experts = low;
    Offer(x);
    if (high != low) {
      x.experts = high;
      Offer(x);
    }
  }
}

void Solver::Offer(const Dims& x) {
  if (x.experts < x.top_k || x.width <= 0) return;
  Evaluated e;
  e.dims = x;
  const laws::Triad triad = Count(x);
  const std::array<double, 3> values = {triad.flops_per_token,
                                        static_cast<double>(triad.active_params),
                                        static_cast<double>(triad.total_params)};
  e.excess = -kInf;
  for (size_t i = 0; i < 3; ++i) {
    e.error[i] = values[i] / targets_[i] - 1.0;
    e.worst = std::max(e.worst, std::fabs(e.error[i]));
    e.excess = std::max(e.excess, std::fabs(e.error[i]) - tolerances_[i]);
  }
  evaluated_list_.push_back(e);
}

TriadCandidate Solver::Materialize(const Evaluated& e) {
  Apply(e.dims);
  TriadCandidate c;
  c.arch = arch_;
  c.arch.name = p_.base.name;
  c.triad = laws::CountTriad(arch_, p_.counting);
  c.error_m = e.error[0];
  c.error_na = e.error[1];
  c.error_n = e.error[2];
  c.worst = e.worst;
  c.within = e.excess <= 1e-12;
  return c;
}

std::string Solver::Explain(const Evaluated& nearest) {
  const internal::SearchOutcome outcome{&p_,    targets_, tolerances_, experts_,
                                        top_k_, shared_,  &diagnoses_};
  return internal::ExplainNoCandidate(outcome, nearest, Materialize(nearest).triad);
}

TriadSolution Solver::Run() {
  evaluated_list_.reserve(1024);
  for (int64_t heads : Values(heads_)) {
    if (heads % kv_group_ != 0) continue;
    for (int64_t top_k : Values(top_k_)) {
      for (int64_t shared : Values(shared_)) SolveShape(heads, top_k, shared);
    }
  }
  TriadSolution solution;
  // Best first: within tolerance by worst error, then the rest by how far they overshoot. Only
  // the head is needed (each dims is offered once, so no duplicates to remove).
  const size_t head = std::min(evaluated_list_.size(), p_.max_candidates + 1);
  std::partial_sort(evaluated_list_.begin(), evaluated_list_.begin() + static_cast<ptrdiff_t>(head),
                    evaluated_list_.end(), [](const Evaluated& x, const Evaluated& y) {
                      const bool xin = x.excess <= 1e-12, yin = y.excess <= 1e-12;
                      if (xin != yin) return xin;
                      const double kx = xin ? x.worst : x.excess, ky = yin ? y.worst : y.excess;
                      if (kx != ky) return kx < ky;
                      return x.dims.Key() < y.dims.Key();
                    });
  evaluated_list_.resize(head);
  for (const Evaluated& e : evaluated_list_) {
    if (e.excess > 1e-12 || solution.candidates.size() >= p_.max_candidates) break;
    TriadCandidate candidate = Materialize(e);
    if (laws::Validate(candidate.arch, "triad solver").ok()) {
      solution.candidates.push_back(std::move(candidate));
    }
  }
  if (!evaluated_list_.empty()) solution.nearest = Materialize(evaluated_list_.front());
  if (solution.candidates.empty()) {
    solution.explanation =
        evaluated_list_.empty()
            ? fmt::format("no architecture to count: {} and {} leave no allowed combination",
                          RangeText("N_e", experts_), RangeText("K", top_k_))
            : Explain(evaluated_list_.front());
  }
  solution.evaluated = evaluated_;
  return solution;
}

}  // namespace

Result<TriadSolution> SolveTriad(const TriadProblem& problem) {
  if (Status s = problem.Validate(); !s.ok()) return s.error();
  Solver solver(problem);
  return solver.Run();
}

}  // namespace moeplan::phases
