// Editor side of the wps3/my-files block: a placeholder; the page renders it
// on the server (the [wps3_files] container).
(function (wp) {
  if (!wp || !wp.blocks || !wp.element) return;
  var __ = wp.i18n ? wp.i18n.__ : function (s) { return s; };
  wp.blocks.registerBlockType('wps3/my-files', {
    apiVersion: 2,
    title: __('My files (S3)', 'wps3'),
    description: __('Members upload, list, download and delete their own files.', 'wps3'),
    category: 'widgets',
    icon: 'media-default',
    supports: { html: false, multiple: false },
    edit: function () {
      return wp.element.createElement('p', { className: 'wps3-files-placeholder' }, __('My files: upload, list and download (shown to logged-in members).', 'wps3'));
    },
    save: function () { return null; },
  });
})(window.wp);
