#include "lib/metrics/metrics.h"

#include <atomic>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace daap::metrics {
namespace {

TEST(RegistryTest, CounterWithLabelsExposition) {
  Registry registry;
  CounterFamily& family =
      registry.counter("daap_reconcile_total", "Reconciles by result.", {"controller", "result"});
  family.withLabels({"database", "success"}).inc();
  family.withLabels({"database", "success"}).inc(2);
  family.withLabels({"database", "error"}).inc();
  EXPECT_EQ(registry.exposition(),
            "# HELP daap_reconcile_total Reconciles by result.\n"
            "# TYPE daap_reconcile_total counter\n"
            "daap_reconcile_total{controller=\"database\",result=\"error\"} 1\n"
            "daap_reconcile_total{controller=\"database\",result=\"success\"} 3\n");
}

TEST(RegistryTest, GaugeWithoutLabelsAndFractions) {
  Registry registry;
  Gauge gauge = registry.gauge("queue_depth", "Depth.").withLabels({});
  gauge.set(2.5);
  gauge.inc();
  gauge.dec(0.25);
  EXPECT_DOUBLE_EQ(gauge.value(), 3.25);
  EXPECT_EQ(registry.exposition(),
            "# HELP queue_depth Depth.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 3.25\n");
}

TEST(RegistryTest, FamiliesInNameOrderAndEmptyFamilyShowsHeaderOnly) {
  Registry registry;
  registry.gauge("zeta", "Last.").withLabels({}).set(-1);
  registry.counter("alpha", "First.", {"kind"});
  EXPECT_EQ(registry.exposition(),
            "# HELP alpha First.\n"
            "# TYPE alpha counter\n"
            "# HELP zeta Last.\n"
            "# TYPE zeta gauge\n"
            "zeta -1\n");
}

TEST(RegistryTest, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.counter("events", "Help with \\ and\nnewline \"quoted\".", {"message"})
      .withLabels({"a \"b\" \\ c\nd"})
      .inc();
  EXPECT_EQ(registry.exposition(),
            "# HELP events Help with \\\\ and\\nnewline \"quoted\".\n"
            "# TYPE events counter\n"
            "events{message=\"a \\\"b\\\" \\\\ c\\nd\"} 1\n");
}

TEST(RegistryTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  Histogram histogram = registry.histogram("latency_seconds", "Latency.", {"route"}, {0.1, 0.5, 1})
                            .withLabels({"/x"});
  histogram.observe(0.05);
  histogram.observe(0.1);  // "le" is inclusive.
  histogram.observe(0.7);
  histogram.observe(3);
  EXPECT_EQ(histogram.count(), 4U);
  EXPECT_DOUBLE_EQ(histogram.sum(), 3.85);
  EXPECT_EQ(registry.exposition(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.5\"} 2\n"
            "latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
            "latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{route=\"/x\"} 3.85\n"
            "latency_seconds_count{route=\"/x\"} 4\n");
}

TEST(RegistryTest, HistogramWithoutLabels) {
  Registry registry;
  registry.histogram("h", "H.", {}, {1}).withLabels({}).observe(0.5);
  EXPECT_EQ(registry.exposition(),
            "# HELP h H.\n"
            "# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 1\n"
            "h_bucket{le=\"+Inf\"} 1\n"
            "h_sum 0.5\n"
            "h_count 1\n");
}

TEST(RegistryTest, CallbackGaugesAreReadAtScrapeTime) {
  Registry registry;
  std::atomic<int> depth{3};
  registry.callbackGauge("depth", "Queue depth.", [&depth] { return depth.load(); });
  registry.callbackGauge("phases", "Databases by phase.", {"phase"}, [] {
    return std::vector<Sample>{{{"Ready"}, 7}, {{"Error"}, 1}};
  });
  const std::string first = registry.exposition();
  EXPECT_NE(first.find("\ndepth 3\n"), std::string::npos) << first;
  EXPECT_NE(first.find("phases{phase=\"Error\"} 1\nphases{phase=\"Ready\"} 7\n"), std::string::npos)
      << first;
  depth = 9;
  EXPECT_NE(registry.exposition().find("\ndepth 9\n"), std::string::npos);
  registry.removeCallback("depth");
  EXPECT_EQ(registry.exposition().find("depth "), std::string::npos);
}

TEST(RegistryTest, SameNameReturnsSameFamily) {
  Registry registry;
  registry.counter("adds_total", "Adds.", {"name"}).withLabels({"a"}).inc();
  registry.counter("adds_total", "Adds.", {"name"}).withLabels({"a"}).inc();
  EXPECT_DOUBLE_EQ(registry.counter("adds_total", "Adds.", {"name"}).withLabels({"a"}).value(), 2);
}

TEST(RegistryTest, DefaultHandlesRecordNothing) {
  const Counter counter;
  const Gauge gauge;
  const Histogram histogram;
  counter.inc();
  gauge.set(4);
  histogram.observe(1);
  EXPECT_EQ(counter.value(), 0);
  EXPECT_EQ(gauge.value(), 0);
  EXPECT_EQ(histogram.count(), 0U);
}

TEST(RegistryTest, SpecialValues) {
  Registry registry;
  GaugeFamily& family = registry.gauge("g", "G.", {"k"});
  family.withLabels({"a"}).set(1e21);
  family.withLabels({"b"}).set(std::numeric_limits<double>::infinity());
  family.withLabels({"c"}).set(std::numeric_limits<double>::quiet_NaN());
  family.withLabels({"d"}).set(0.1);
  EXPECT_EQ(registry.exposition(),
            "# HELP g G.\n# TYPE g gauge\n"
            "g{k=\"a\"} 1e+21\n"
            "g{k=\"b\"} +Inf\n"
            "g{k=\"c\"} NaN\n"
            "g{k=\"d\"} 0.1\n");
}

TEST(RegistryTest, ExponentialBuckets) {
  EXPECT_EQ(exponentialBuckets(0.001, 10, 4), (std::vector<double>{0.001, 0.01, 0.1, 1}));
  EXPECT_EQ(defaultBuckets().front(), 0.005);
  EXPECT_EQ(defaultBuckets().back(), 10);
}

TEST(RegistryTest, ConcurrentIncrementsAreNotLost) {
  Registry registry;
  CounterFamily& counters = registry.counter("c_total", "C.", {"worker"});
  HistogramFamily& histograms = registry.histogram("h_seconds", "H.", {}, {0.5});
  constexpr int kThreads = 8;
  constexpr int kIterations = 20000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half the threads share one series; the others look theirs up on each iteration.
      const Counter shared = counters.withLabels({"shared"});
      const Histogram histogram = histograms.withLabels({});
      for (int i = 0; i < kIterations; ++i) {
        shared.inc();
        if (t % 2 == 0) {
          counters.withLabels({"even"}).inc();
        }
        histogram.observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  std::thread scraper([&] {
    for (int i = 0; i < 50; ++i) {
      EXPECT_FALSE(registry.exposition().empty());
    }
  });
  for (std::thread& thread : threads) {
    thread.join();
  }
  scraper.join();
  const std::string text = registry.exposition();
  EXPECT_NE(text.find("c_total{worker=\"shared\"} 160000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("c_total{worker=\"even\"} 80000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_bucket{le=\"0.5\"} 80000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_count 160000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_sum 100000\n"), std::string::npos) << text;
}

TEST(RegistryDeathTest, WrongLabelCountIsABug) {
  Registry registry;
  CounterFamily& family = registry.counter("x_total", "X.", {"a", "b"});
  EXPECT_DEATH(family.withLabels({"only-one"}), "wrong number of label values");
}

TEST(RegistryDeathTest, ReRegisteringWithAnotherTypeIsABug) {
  Registry registry;
  registry.counter("x", "X.");
  EXPECT_DEATH(registry.gauge("x", "X."), "registered twice");
}

}  // namespace
}  // namespace daap::metrics
