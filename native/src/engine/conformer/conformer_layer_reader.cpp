#include "conformer/conformer_layer_reader.h"

namespace verbatim {

ConformerLayerWeights read_conformer_layer(WeightsReader& r, const std::string& prefix, const ConformerConfig& c,
                                           const ConformerAttentionNames& names) {
  const int d = c.d_model;
  const std::string& p = prefix;
  const std::string attention = p + "self_attn.";
  ConformerLayerWeights l;
  l.norm_ff1 = r.norm(p + "norm_feed_forward1", d);
  l.norm_att = r.norm(p + "norm_self_att", d);
  l.norm_conv = r.norm(p + "norm_conv", d);
  l.norm_ff2 = r.norm(p + "norm_feed_forward2", d);
  l.norm_out = r.norm(p + "norm_out", d);
  l.ff1_in = r.linear(p + "feed_forward1.linear1", c.ff_hidden, d, c.use_bias);
  l.ff1_out = r.linear(p + "feed_forward1.linear2", d, c.ff_hidden, c.use_bias);
  l.ff2_in = r.linear(p + "feed_forward2.linear1", c.ff_hidden, d, c.use_bias);
  l.ff2_out = r.linear(p + "feed_forward2.linear2", d, c.ff_hidden, c.use_bias);
  l.query = r.linear(attention + names.query, d, d, c.use_bias);
  l.key = r.linear(attention + names.key, d, d, c.use_bias);
  l.value = r.linear(attention + names.value, d, d, c.use_bias);
  l.out = r.linear(attention + names.out, d, d, c.use_bias);
  l.pos = r.linear(attention + names.pos, d, d, false);
  l.pos_bias_u = r.floats(attention + names.pos_bias_u, {c.n_heads, d / c.n_heads});
  l.pos_bias_v = r.floats(attention + names.pos_bias_v, {c.n_heads, d / c.n_heads});
  return l;
}

}  // namespace verbatim
