#include "speakers/speaker_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "backend_choice.h"
#include "transcript/cancelled.h"

namespace verbatim {
namespace {

std::vector<float> sigmoid_rows(const std::vector<float>& logits, std::size_t count) {
  std::vector<float> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = 1.0f / (1.0f + std::exp(-logits[i]));
  return out;
}

}  // namespace

SegmentTracker::SegmentTracker(int speakers, double frame_seconds, float threshold)
    : speakers_(speakers), frame_seconds_(frame_seconds), threshold_(threshold), open_(speakers, -1) {}

void SegmentTracker::add(const float* probabilities, int64_t frames) {
  for (int64_t f = 0; f < frames; ++f, ++frame_) {
    for (int s = 0; s < speakers_; ++s) {
      const bool active = probabilities[f * speakers_ + s] > threshold_;
      if (active && open_[s] < 0) open_[s] = frame_;
      if (!active && open_[s] >= 0) {
        done_.push_back({s, open_[s] * frame_seconds_, frame_ * frame_seconds_});
        open_[s] = -1;
      }
    }
  }
}

std::vector<SpeakerSegment> SegmentTracker::finish() {
  for (int s = 0; s < speakers_; ++s) {
    if (open_[s] >= 0) done_.push_back({s, open_[s] * frame_seconds_, frame_ * frame_seconds_});
    open_[s] = -1;
  }
  std::stable_sort(done_.begin(), done_.end(), [](const SpeakerSegment& a, const SpeakerSegment& b) {
    return a.start < b.start || (a.start == b.start && a.speaker < b.speaker);
  });
  return std::move(done_);
}

SpeakerModel::SpeakerModel(std::shared_ptr<const SpeakerWeights> weights, std::unique_ptr<SpeakerNetwork> network,
                           const char* device_name)
    : weights_(std::move(weights)), network_(std::move(network)), device_name_(device_name) {}

std::shared_ptr<SpeakerModel> SpeakerModel::load(const std::string& folder, const EngineOptions& options) {
  const ChosenBackend chosen = choose_backend(options);
  auto weights = std::make_shared<const SpeakerWeights>(load_speaker_weights(folder, options.quantize));
  std::unique_ptr<SpeakerNetwork> network;
#if defined(VERBATIM_HAS_MLX)
  if (chosen.mlx) network = make_speaker_mlx_network(weights, chosen.device);
#endif
  if (!network) network = make_speaker_cpu_network(weights, options.threads);
  return std::shared_ptr<SpeakerModel>(new SpeakerModel(std::move(weights), std::move(network), chosen.device_name));
}

std::vector<float> SpeakerModel::embed(const float* features, int frames) {
  std::lock_guard<std::mutex> lock(mutex_);
  return network_->embed(features, frames);
}

std::vector<float> SpeakerModel::step(SpeakerCache& cache, const float* embeds, int rows, int chunk_frames,
                                      int valid_rows, const std::function<void()>& between_layers) {
  const SpeakerConfig& c = config();
  const int cached = cache.cached_frames();
  const std::vector<float> input = cache.input(embeds, rows);
  std::vector<float> logits;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    logits = network_->logits(input, cached + rows, cached + valid_rows, between_layers);
  }
  cache.update(input, cached + rows, logits, chunk_frames, cached + valid_rows, weights_->silence);
  const std::size_t row = static_cast<std::size_t>(c.subsampling) * c.cache.speakers;
  return std::vector<float>(logits.begin() + static_cast<std::ptrdiff_t>(cached * row),
                            logits.begin() + static_cast<std::ptrdiff_t>((cached + chunk_frames) * row));
}

SpeakerActivity SpeakerModel::diarize(const float* samples, std::size_t n, const std::function<void(double)>& progress,
                                      const std::function<bool()>& cancelled) {
  const SpeakerConfig& c = config();
  const int S = c.cache.speakers, factor = c.subsampling;
  SpeakerActivity activity;
  activity.frame_seconds = frame_seconds();
  activity.speakers = S;
  NemoFeatures features = nemo_log_mel(samples, n, c.features);
  const int valid = features.n_frames;
  activity.frames = valid;
  if (valid == 0) return activity;
  // transformers' feature extractor gives one more frame, zeroed and masked; an encoder frame that holds only it is
  // padding (never attended to, probabilities 0 in the cache)
  features.data.resize(features.data.size() + static_cast<std::size_t>(c.mels), 0.0f);
  const std::vector<float> embeds = embed(features.data.data(), valid + 1);
  const int rows = static_cast<int>(embeds.size() / static_cast<std::size_t>(c.hidden));
  const int valid_rows = (rows - 1) * factor >= valid ? rows - 1 : rows;
  const auto between_layers = [&]() {
    if (cancelled && cancelled()) throw Cancelled();
  };

  SpeakerCache cache(c.cache, c.offline.fifo_length, c.offline.update_period, c.hidden);
  activity.probabilities.reserve(static_cast<std::size_t>(valid) * S);
  for (int start = 0; start < rows; start += c.offline.chunk_length) {
    const int end = std::min(start + c.offline.chunk_length, rows);
    const int input_end = std::min(end + c.offline.right_context, rows);
    const std::vector<float> logits =
        step(cache, embeds.data() + static_cast<std::size_t>(start) * c.hidden, input_end - start, end - start,
             std::min(input_end, valid_rows) - start, between_layers);
    const std::size_t wanted = std::min<std::size_t>(
        logits.size(), static_cast<std::size_t>(valid) * S - activity.probabilities.size());
    const std::vector<float> probabilities = sigmoid_rows(logits, wanted);
    activity.probabilities.insert(activity.probabilities.end(), probabilities.begin(), probabilities.end());
    if (progress) progress(static_cast<double>(end) / rows);
  }
  return activity;
}

SpeakerStream::SpeakerStream(std::shared_ptr<SpeakerModel> model, const std::string& mode)
    : model_(std::move(model)),
      chunking_(model_->config().streaming(mode.empty() ? model_->config().default_streaming_mode : mode)),
      cache_(model_->config().cache, chunking_.fifo_length, chunking_.update_period, model_->config().hidden),
      mel_(model_->config().features),
      segments_(model_->config().cache.speakers, model_->frame_seconds()) {}

double SpeakerStream::emphasised(int64_t i) const {
  if (i < 0 || i >= received_) return 0.0;
  const double x = samples_[static_cast<std::size_t>(i - sample_base_)];
  if (i == 0) return x;
  return x - model_->config().features.preemphasis * static_cast<double>(samples_[static_cast<std::size_t>(i - 1 - sample_base_)]);
}

std::vector<float> SpeakerStream::push(const float* samples, std::size_t n) {
  if (finished_) throw std::invalid_argument("the speaker stream has finished: start a new one");
  samples_.insert(samples_.end(), samples, samples + n);
  received_ += static_cast<int64_t>(n);
  const NemoFeatureConfig& fc = model_->config().features;
  const int factor = model_->config().subsampling;
  const int64_t chunk_frames = static_cast<int64_t>(chunking_.chunk_length + chunking_.right_context) * factor;
  std::vector<float> out;
  for (;;) {
    // as Nemotron3DiarizationProcessor cuts a stream: the first chunk's samples centred, the later ones from half a
    // transform before their first frame; a chunk runs once all of its samples are in
    const bool first = cursor_ == 0;
    const int64_t start = first ? 0 : cursor_ * fc.hop_length - fc.n_fft / 2;
    const int64_t size = first ? (chunk_frames - 1) * fc.hop_length + fc.win_length / 2
                               : chunk_frames * fc.hop_length + fc.win_length;
    if (start + size > received_) break;
    const std::vector<float> frames = run_chunk(chunk_frames, false);
    out.insert(out.end(), frames.begin(), frames.end());
    // keep the samples the next chunk reads, and the one before them (pre-emphasis)
    const int64_t keep_from = std::max<int64_t>(0, cursor_ * fc.hop_length - fc.n_fft / 2 - 1);
    if (keep_from > sample_base_) {
      samples_.erase(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(keep_from - sample_base_));
      sample_base_ = keep_from;
    }
  }
  return out;
}

std::vector<float> SpeakerStream::finish() {
  if (finished_) throw std::invalid_argument("the speaker stream has already finished");
  finished_ = true;
  const int64_t total = received_ / model_->config().features.hop_length;
  std::vector<float> out;
  if (total > cursor_) out = run_chunk(total - cursor_, true);
  final_segments_ = segments_.finish();
  samples_.clear();
  samples_.shrink_to_fit();
  return out;
}

std::vector<SpeakerSegment> SpeakerStream::segments() {
  if (!finished_) throw std::invalid_argument("a speaker stream's segments come once it has finished");
  return final_segments_;
}

std::vector<float> SpeakerStream::run_chunk(int64_t frame_count, bool last) {
  const SpeakerConfig& c = model_->config();
  const int S = c.cache.speakers;
  std::vector<double> row(static_cast<std::size_t>(c.mels));
  std::vector<float> features(static_cast<std::size_t>(frame_count) * c.mels);
  const auto sample = [this](int64_t i) { return emphasised(i); };
  for (int64_t t = 0; t < frame_count; ++t) {
    mel_.frame(sample, cursor_ + t, row.data());
    std::copy(row.begin(), row.end(), features.begin() + static_cast<std::ptrdiff_t>(t * c.mels));
  }
  const std::vector<float> embeds = model_->embed(features.data(), static_cast<int>(frame_count));
  const int rows = static_cast<int>(embeds.size() / static_cast<std::size_t>(c.hidden));
  const int chunk_rows = last ? rows : rows - chunking_.right_context;
  const std::vector<float> logits = model_->step(cache_, embeds.data(), rows, chunk_rows, rows, nullptr);
  const int64_t given = last ? frame_count : static_cast<int64_t>(chunking_.chunk_length) * c.subsampling;
  std::vector<float> probabilities = sigmoid_rows(logits, static_cast<std::size_t>(given) * S);
  segments_.add(probabilities.data(), given);
  cursor_ += given;
  return probabilities;
}

}  // namespace verbatim
