// Copy buttons: data-copy names the element whose text is copied. Clipboard API where the page is a secure
// context, else the selection fallback (plain http on a LAN address is not a secure context).
document.addEventListener('click', function (event) {
  var button = event.target.closest('.berth-copy');
  if (!button) { return; }
  var source = document.getElementById(button.getAttribute('data-copy'));
  if (!source) { return; }
  var text = source.textContent;
  var done = function () { button.textContent = 'Copied'; setTimeout(function () { button.textContent = 'Copy'; }, 1500); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done);
  } else {
    var area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    document.body.removeChild(area);
    done();
  }
});
