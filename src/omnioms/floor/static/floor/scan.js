// Scans a job ticket's QR code with the tablet's camera (ZXing, served by this site) and
// opens the job; typing the code into the same form does the same without a camera.
(function () {
  "use strict";
  var button = document.getElementById("scan-start");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var form = document.getElementById("scan-form");
  if (!button || !video || !form) return;
  var controls = null;
  function stop() {
    if (controls) { controls.stop(); controls = null; }
    video.hidden = true;
    button.textContent = button.dataset.start;
  }
  button.addEventListener("click", function () {
    if (controls) { stop(); return; }
    if (!window.ZXingBrowser || !navigator.mediaDevices) {
      status.textContent = "—";
      return;
    }
    var reader = new window.ZXingBrowser.BrowserQRCodeReader();
    video.hidden = false;
    button.textContent = button.dataset.stop;
    reader.decodeFromVideoDevice(undefined, video, function (result, error, ctl) {
      controls = ctl;
      if (result) {
        stop();
        form.elements.code.value = result.getText();
        form.submit();
      }
    }).then(function (ctl) { controls = ctl; }).catch(function (err) {
      status.textContent = String(err && err.message ? err.message : err);
      stop();
    });
  });
})();
