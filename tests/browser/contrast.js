// Text whose colour contrast with its background is under WCAG 2.1 AA (4.5:1, 3:1 for large text).
// Every visible element with its own text is checked against the first opaque background behind it
// (colours with alpha are blended over it); elements over a background image are skipped.
() => {
  const parse = value => (value.match(/[\d.]+/g) || []).map(Number);
  const blend = (top, under) => {
    const alpha = top.length > 3 ? top[3] : 1;
    return [0, 1, 2].map(i => top[i] * alpha + under[i] * (1 - alpha));
  };
  const luminance = rgb => {
    const [r, g, b] = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = element => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== 'none' && !style.backgroundImage.startsWith('linear-gradient')) return null;
      const colour = parse(style.backgroundColor);
      if (colour.length && (colour.length < 4 || colour[3] > 0)) {
        layers.push(colour);
        if (colour.length < 4 || colour[3] >= 1) break;
      }
    }
    return layers.reverse().reduce((under, top) => blend(top, under), [255, 255, 255]);
  };
  const found = [];
  for (const element of document.body.querySelectorAll('*')) {
    const own = [...element.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent.trim()).join(' ');
    if (!own || !element.getClientRects().length) continue;
    const style = getComputedStyle(element);
    if (style.visibility === 'hidden' || Number(style.opacity) === 0 || element.closest('[aria-hidden=true], .visually-hidden, option, .skip-link')) continue;
    const under = background(element);
    if (!under) continue;
    const fore = blend(parse(style.color), under);
    const [a, b] = [luminance(fore), luminance(under)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) found.push(`${ratio.toFixed(2)}:1 ${element.tagName.toLowerCase()}.${[...element.classList].join('.')} "${own.slice(0, 30)}"`);
  }
  return found;
}
