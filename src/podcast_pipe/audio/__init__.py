"""Audio mastering: decode anything ffmpeg reads, measure (BS.1770), gain + true-peak limit, MP3."""
