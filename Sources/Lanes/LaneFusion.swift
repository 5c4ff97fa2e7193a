extension LaneDetection {
    /// Lanes from two detectors that track the same camera: one on the frames as filmed, one on
    /// the restored frames. Per slot, a line seen in the filmed frame wins (filmed evidence beats
    /// pasted evidence: a crushed tunnel frame often still shows its paint to the local
    /// thresholds, while the paste can place old paint off its line); otherwise the restored
    /// frame's line (seen, held or carried); otherwise the filmed detector's held track.
    /// The thresholds reported (`roadLuma` …) are the restored frame's. Allocates nothing.
    ///
    /// With `carriedFirst`, a filmed ego line the detector carries (`DetectedLane.carried`: lost,
    /// moved with the other ego line it sees in this frame) also beats the restored frame's line. The caller sets it for frames
    /// whose road was largely pasted: there the restored line is pasted paint, which can sit off
    /// its line, while the carried one rests on a line the camera sees now
    /// (docs/decisions/0030-filmed-lane-tracks-first-tried.md).
    public mutating func fuse(filmed: LaneDetection, restored: LaneDetection, carriedFirst: Bool = false) {
        roadLuma = restored.roadLuma
        paintLuma = restored.paintLuma
        whiteContrast = restored.whiteContrast
        yellowContrast = restored.yellowContrast
        markingShare = restored.markingShare
        lanes.removeAll(keepingCapacity: true)
        for slot in LaneSlot.allCases {
            let seen = filmed.lane(slot)
            if let seen, seen.missedFrames == 0 || (carriedFirst && seen.carried) {
                lanes.append(seen)
            } else if let pasted = restored.lane(slot) {
                lanes.append(pasted)
            } else if let seen {
                lanes.append(seen)
            }
        }
    }
}
