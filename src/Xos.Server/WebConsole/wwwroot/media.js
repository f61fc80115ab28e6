// Media in the console: thumbnails for the object browser's grid (made by the server's own processing on the object's
// URL, ?x-xos-process=..., so the browser downloads a few KiB per tile and caches them), and an object's media tab:
// its information (dimensions, EXIF, duration, codecs) and a pipeline builder that previews a result and copies its URL.
import { s3, consoleApi, objectPath } from './api.js';
import { h, fill, input, field, showError, clearError, toast } from './ui.js';

const imageTypes = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp', 'tif', 'tiff', 'avif', 'heic', 'heif'];
const videoTypes = ['mp4', 'm4v', 'mov', 'webm', 'mkv', 'avi', 'mpg', 'mpeg', 'ts', 'flv', '3gp'];

/** 'image', 'video' or null, from the key's extension (a listing has no content types) or a content type. */
export function mediaKind(key, type) {
  if (type) return type.startsWith('image/') ? 'image' : type.startsWith('video/') ? 'video' : null;
  const ext = key.includes('.') ? key.split('.').pop().toLowerCase() : '';
  return imageTypes.includes(ext) ? 'image' : videoTypes.includes(ext) ? 'video' : null;
}

/**
 * The pipeline that makes a square tile of SIZE pixels: the image cropped to fill (limit_0: small or narrow images are
 * enlarged too, where Aliyun's default would give them back unchanged), or the video's frame at one second.
 */
export function thumbnailPipeline(kind, size) {
  return kind === 'video'
    ? `video/snapshot,t_1000,f_jpg,w_${size},h_${size},m_fast,ar_auto`
    : `image/auto-orient,1/resize,m_fill,w_${size},h_${size},limit_0/format,webp/quality,q_80`;
}

export const processed = (path, pipeline) => `${path}${path.includes('?') ? '&' : '?'}x-xos-process=${encodeURIComponent(pipeline)}`;

/**
 * A tile of the grid: the thumbnail, loaded only when it scrolls into view (loading=lazy) and kept by the browser's cache
 * (the server answers with an ETag of the source and the pipeline), or the file's extension when it has none.
 */
export function tile(bucket, key, label, href, size = 160) {
  const kind = mediaKind(key);
  const ext = key.includes('.') ? key.split('.').pop().toUpperCase() : 'FILE';
  const fallback = h('span', { class: 'tile-ext' }, ext);
  const picture = kind
    ? h('img', { src: processed(objectPath(bucket, key), thumbnailPipeline(kind, size * 2)), loading: 'lazy', decoding: 'async', alt: label,
      width: size, height: size, 'data-thumbnail': kind })
    : fallback;
  if (kind) picture.addEventListener('error', () => picture.replaceWith(fallback), { once: true });
  return h('a', { class: `tile${kind === 'video' ? ' video' : ''}`, href, title: key, 'data-key': key }, picture, h('span', { class: 'tile-name' }, label));
}

/** The object page's media tab: information from image/info or video/info, and the pipeline builder. */
export function mediaTab(panel, bucket, key, path, info) {
  const kind = mediaKind(key, info.type) || mediaKind(key);
  if (!kind) return fill(panel, h('p', { class: 'muted' }, 'Not an image or a video: nothing to process.'));
  const facts = h('section', { class: 'panel', 'aria-label': 'Media information' }, h('h2', {}, 'Information'), h('p', { class: 'muted' }, 'Reading…'));
  fill(panel, facts, builder(bucket, key, path, kind));
  (async () => {
    try {
      const res = await s3('GET', processed(path, kind === 'video' ? 'video/info' : 'image/info'));
      fill(facts, h('h2', {}, 'Information'), describeInfo(kind, await res.json()));
    } catch (err) { fill(facts, h('h2', {}, 'Information')); showError(facts, err); }
  })();
}

function describeInfo(kind, info) {
  const rows = [];
  const add = (k, v) => { if (v !== undefined && v !== null && v !== '') rows.push([k, String(v)]); };
  if (kind === 'image') {
    // Aliyun's image/info answers {"ImageWidth": {"value": "800"}, ...}; take either shape.
    const value = (name) => (info[name] && typeof info[name] === 'object' && 'value' in info[name]) ? info[name].value : info[name];
    add('Format', value('Format') ?? value('format'));
    add('Width', value('ImageWidth') ?? value('width'));
    add('Height', value('ImageHeight') ?? value('height'));
    add('Size', value('FileSize') ?? value('size'));
    for (const [name, v] of Object.entries(info)) {
      if (['Format', 'ImageWidth', 'ImageHeight', 'FileSize', 'format', 'width', 'height', 'size'].includes(name)) continue;
      add(name, v && typeof v === 'object' ? ('value' in v ? v.value : JSON.stringify(v)) : v);
    }
  } else {
    // video/info: {"Duration": seconds, "Container", "Size", "Bitrate", "Streams": [{"CodecType", "CodecName", "Width", ...}]}
    add('Duration', info.Duration !== undefined && info.Duration !== null ? `${Number(info.Duration).toFixed(2)} s` : null);
    add('Container', info.Container);
    add('Bit rate', info.Bitrate ? `${Math.round(Number(info.Bitrate) / 1000)} kbit/s` : null);
    for (const [i, s] of (info.Streams || []).entries()) {
      const what = s.CodecType === 'video'
        ? `${s.CodecName || ''} ${s.Width}×${s.Height}${s.FrameRate ? `, ${Number(s.FrameRate).toFixed(2)} fps` : ''}`
        : `${s.CodecName || ''}${s.SampleRate ? `, ${s.SampleRate} Hz` : ''}${s.Channels ? `, ${s.Channels} channels` : ''}`;
      add(`Stream ${i} (${s.CodecType || '?'})`, what.trim());
    }
  }
  return h('dl', { class: 'props', 'data-media-info': kind }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

const presets = {
  image: [
    ['Thumbnail', 'image/resize,m_fill,w_256,h_256'],
    ['Fit 800', 'image/resize,m_lfit,w_800,h_800'],
    ['Rotate 90°', 'image/rotate,90'],
    ['WebP', 'image/format,webp/quality,q_80'],
    ['Circle', 'image/resize,m_fill,w_300,h_300/circle,r_150/format,png'],
    ['Watermark', 'image/watermark,text_WE9T,color_FFFFFF,size_40,g_se,x_10,y_10'],
  ],
  video: [
    ['Poster', 'video/snapshot,t_1000,f_jpg,w_640,m_fast'],
    ['Frame at 5 s', 'video/snapshot,t_5000,f_png'],
  ],
};

function builder(bucket, key, path, kind) {
  const pipeline = input({ name: 'pipeline', value: presets[kind][0][1], id: 'media-pipeline', class: 'mono', spellcheck: 'false' });
  const result = h('div', { class: 'preview', 'aria-live': 'polite' });
  const url = input({ readonly: true, id: 'media-url', 'aria-label': 'URL of the result' });
  const form = h('form', { class: 'panel', 'aria-label': 'Pipeline builder' },
    h('h2', {}, 'Process'),
    h('p', { class: 'muted' }, 'Actions run in order, as ', h('code', {}, '?x-xos-process='), ' (also x-oss-process, x-zos-process) on the object\'s own URL.'),
    h('div', { class: 'actions' }, presets[kind].map(([label, value]) =>
      h('button', { type: 'button', class: 'secondary', onclick: () => { pipeline.value = value; preview(); } }, label))),
    field('Pipeline', pipeline),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Preview'),
      h('button', { type: 'button', class: 'secondary', onclick: copy }, 'Copy link (1 hour)')),
    url, result);
  form.addEventListener('submit', (e) => { e.preventDefault(); preview(); });

  let shown = null;
  async function preview() {
    clearError(form);
    const src = processed(path, pipeline.value.trim());
    try {
      // Fetched here rather than by an <img>, so that a refusal shows S3's own error code and message.
      const res = await s3('GET', src);
      const type = res.headers.get('content-type') || '';
      const size = `${type}, ${Number(res.headers.get('content-length')).toLocaleString()} bytes`;
      if (shown) URL.revokeObjectURL(shown);
      shown = URL.createObjectURL(await res.blob());
      fill(result, type.startsWith('image/')
        ? [h('img', { src: shown, alt: `Result of ${pipeline.value}`, 'data-preview': 'result' }), h('p', { class: 'muted', 'data-result-type': type }, size)]
        : h('p', { class: 'muted', 'data-result-type': type }, `${size}: `, h('a', { href: shown, target: '_blank' }, 'open')));
    } catch (err) { fill(result); showError(form, err); }
  }

  async function copy() {
    clearError(form);
    try {
      const link = await consoleApi('POST', 'share', { bucket, key, expiresSeconds: 3600, download: false });
      // The processing parameter is added after signing, as media storage services allow: it is not part of the signature.
      url.value = processed(link.url, pipeline.value.trim());
      url.select();
      await navigator.clipboard?.writeText(url.value).catch(() => {});
      toast('Link copied');
    } catch (err) { showError(form, err); }
  }

  setTimeout(preview);
  return form;
}
