// Bridge compositor: one projector's pixel from the equirectangular frame.
//
// This is the body VTK splices into its fragment shader just after its own texture
// look-ups (the TCoord implementation tag; see bridge/gpu.py).  VTK declares for us:
//   sampler2D equi   - the equirectangular frame, bilinear, repeating horizontally
//   sampler2D lut    - float32 RGBA per projector pixel: (u, v) source texture coordinate,
//                      b = blend weight in linear light, a = black level (the projector's,
//                      or its beta map's for this pixel); sampled texel-exact
//   float gamma, gain  - this projector's calibration
//   sampler2D panels - only with PANEL_LAYER defined (a step with a video backdrop, see
//                      bridge/video.py): per projector pixel, the panels over black (rgb) and
//                      how much of the video shows through them (a), sampled texel-exact
//   vec2 tcoordVCVSOutput - the quad's texture coordinate (0..1, rows bottom-up)
// The CPU path (bridge/compositor.py) computes the same thing.
vec4 look = texture(lut, tcoordVCVSOutput);
vec3 encoded = texture(equi, look.xy).rgb;
#ifdef PANEL_LAYER
vec4 layer = texture(panels, tcoordVCVSOutput);
encoded = min(vec3(1.0), layer.rgb + layer.a * encoded);
#endif
vec3 linear = min(vec3(1.0), gain * pow(encoded, vec3(gamma)));
vec3 light = look.z * (look.w + (1.0 - look.w) * linear);
fragOutput0 = vec4(pow(light, vec3(1.0 / gamma)), 1.0);
