//===- calibration/collective_fit.cc - Fit alpha-beta parameters to nccl-tests -===//
#include "calibration/collective_fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace moeplan::calibration {
namespace {

// Group members per scale-up domain for a test on `hosts` hosts with `per_host` ranks each.
int64_t RanksPerDomain(const NcclTest& test, const hw::Hardware& hardware) {
  const int64_t domain = hardware.scale_up.domain_size;
  if (domain <= hardware.node.gpus_per_node) {
    return std::min<int64_t>(test.ranks_per_host, domain);
  }
  return std::min<int64_t>(test.num_ranks, domain);  // rack-scale domain spanning hosts
}

std::string Sources(const std::vector<const CollectivePoint*>& points) {
  std::set<std::string> files;
  for (const CollectivePoint* point : points) files.insert(point->source);
  std::string all;
  for (const std::string& file : files) all += (all.empty() ? "" : ", ") + file;
  return all;
}

struct TierSpec {
  const char* name;
  bool scale_up;
  std::vector<const char*> params;
};

Status FitTier(const TierSpec& spec, const std::vector<const CollectivePoint*>& points,
               bool with_overhead, const CollectiveFitOptions& options, CollectiveFit& fit) {
  if (points.empty()) {
    fit.notes.push_back(fmt::format("{} collective parameters kept at base: no {} nccl-tests rows",
                                    spec.scale_up ? "scale-up" : "scale-out", spec.name));
    return Status::Ok();
  }
  StageInput input;
  input.name = std::string("collectives ") + spec.name;
  if (with_overhead)
    input.params.push_back(FindHardwareParam("efficiency.collective.call_overhead"));
  for (const char* path : spec.params) input.params.push_back(FindHardwareParam(path));
  input.points_per_param.assign(input.params.size(), static_cast<int>(points.size()));
  if (points.size() < input.params.size() + 1) {
    if (!options.strict) return Status::Ok();
    return Error{fmt::format(
        "{}: too few {} nccl-tests rows to fit {} parameters: got {}, need at "
        "least {}",
        Sources(points), spec.name, input.params.size(), points.size(), input.params.size() + 1)};
  }
  for (const CollectivePoint* point : points) input.measured.push_back(point->measured);
  input.predict = [&points](size_t index, const hw::Hardware& hardware, std::span<const double>) {
    return PredictCollective(*points[index], hardware);
  };
  Result<StageOutput> output = RunStage(input, fit.hardware, options.solver);
  if (!output) return Error{fmt::format("{}: {}", Sources(points), output.error().message)};
  fit.params.insert(fit.params.end(), output->params.begin(), output->params.end());
  fit.stages.push_back(output->summary);
  return Status::Ok();
}

}  // namespace

Result<std::vector<CollectivePoint>> CollectivePoints(std::span<const NcclTest> tests,
                                                      const hw::Hardware& hardware,
                                                      std::vector<std::string>& notes) {
  std::vector<CollectivePoint> points;
  for (const NcclTest& test : tests) {
    if (!test.collective) {
      notes.push_back(fmt::format("{}: line {}: {} is not modelled by hwmodel; left out",
                                  test.source, test.line, test.test_name));
      continue;
    }
    if (test.ranks_per_host > hardware.node.gpus_per_node) {
      return Error{fmt::format(
          "{}: line {}: {} ranks per host, but '{}' has {} GPUs per node: "
          "choose the matching --base",
          test.source, test.line, test.ranks_per_host, hardware.name, hardware.node.gpus_per_node)};
    }
    const hw::CollectiveGroup group =
        hw::PlaceGroup(test.num_ranks, RanksPerDomain(test, hardware));
    if (*test.collective != hw::Collective::kSendRecv ||
        group.placement == hw::Placement::kScaleUp) {
      if (Status s = hw::ValidateGroup(group, hardware); !s.ok()) {
        return Error{fmt::format("{}: line {}: {}", test.source, test.line, s.message())};
      }
    }
    int left_out = 0;
    for (const NcclRow& row : test.rows) {
      if (row.bytes <= 0 || row.wrong > 0) {
        ++left_out;
        continue;
      }
      CollectivePoint point;
      point.source = test.source;
      point.line = row.line;
      point.test_name = test.test_name;
      point.collective = *test.collective;
      point.group = group;
      point.num_hosts = test.num_hosts;
      point.bytes = static_cast<double>(row.bytes);
      point.measured = row.time_s;
      point.fold_key = fmt::format("{}:{}:{}", test.source, test.line, row.bytes);
      points.push_back(std::move(point));
    }
    if (left_out > 0) {
      notes.push_back(fmt::format("{}: line {}: {} row(s) of {} with size 0 or #wrong > 0 left out",
                                  test.source, test.line, left_out, test.test_name));
    }
  }
  return points;
}

double PredictCollective(const CollectivePoint& point, const hw::Hardware& hardware) {
  return hw::CollectiveTime(point.collective, point.bytes, point.group, hardware);
}

Result<CollectiveFit> FitCollectives(std::span<const CollectivePoint> points,
                                     const hw::Hardware& start,
                                     const CollectiveFitOptions& options) {
  CollectiveFit fit;
  fit.hardware = start;
  std::vector<const CollectivePoint*> up;
  std::vector<const CollectivePoint*> out;
  for (const CollectivePoint& point : points) (point.scale_up() ? up : out).push_back(&point);
  const TierSpec up_spec{"scale-up",
                         true,
                         {"scale_up.latency", "efficiency.collective.scale_up.max_efficiency",
                          "efficiency.collective.scale_up.half_efficiency_bytes"}};
  const TierSpec out_spec{"scale-out",
                          false,
                          {"scale_out.latency", "efficiency.collective.scale_out.max_efficiency",
                           "efficiency.collective.scale_out.half_efficiency_bytes"}};
  if (Status s = FitTier(up_spec, up, true, options, fit); !s.ok()) return s.error();
  if (Status s = FitTier(out_spec, out, up.empty(), options, fit); !s.ok()) return s.error();
  return fit;
}

}  // namespace moeplan::calibration
